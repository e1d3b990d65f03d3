import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KubeObject, PodOutcome } from '../fakes/kube-apiserver/index.js';
import { diag, healthy, putHealthyWindowsNode, withFake } from '../helpers/diagnose.js';
import { probeNetwork } from '../helpers/probe-network.js';

const report = readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8');

describe('diagnose, every check at once', function () {
  this.timeout(60_000);

  it('a healthy cluster is all green: API checks, probes and on-node checks, exit 0', async () => {
    const network = probeNetwork({});
    const run = (pod: KubeObject, node: string): PodOutcome | undefined => {
      if (pod.metadata?.labels?.['win-k8s.io/node-checks'] === 'true') {
        return { containers: { 'node-checks': { exitCode: 0, log: `WIN-K8S-NODE-REPORT-BEGIN\n${report}\nWIN-K8S-NODE-REPORT-END\n` } } };
      }
      return network(pod, node);
    };
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await diag(kc, ['--probe-timeout', '5s'], { inCluster: true });
        const notGreen = r.doc.checks.filter((c) => c.status !== 'pass');
        assert.deepEqual(notGreen.map((c) => `${c.id}@${c.node ?? ''}: ${c.status} ${c.message}`), []);
        assert.equal(r.code, 0);
        const categories = new Set(r.doc.checks.map((c) => c.category));
        for (const c of ['cluster', 'node', 'network', 'probes', 'node-host']) assert.ok(categories.has(c), c);
      },
      { run },
    );
  });
});
