import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { GceFake } from '../fakes/gce/index.js';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { gceCliEnv, PROJECT, startGcpCliEnv } from '../helpers/gcp-cli-env.js';
import { spawnCli } from '../helpers/spawn-cli.js';
import type { RemovePlan } from '../../src/pool/result.js';

const NETWORK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/k8s`;

/** `remove --dry-run` on GCP names the pool's firewall rules and what they allow, and only reads. */
describe('remove --dry-run on GCP shows the firewall rules it would delete (fake Compute API)', function () {
  this.timeout(60_000);
  let gce: GceFake;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let keyPath: string;

  const cli = (args: string[]) => spawnCli(args, { ...gceCliEnv(dir, gce), GOOGLE_APPLICATION_CREDENTIALS: keyPath }, kubeconfig);

  /** A rule as the Compute API stores one after an insert. */
  function putFirewall(name: string, description: string, allowed: { IPProtocol: string; ports: string[] }[], sourceRanges: string[]): void {
    gce.firewalls.set(name, {
      kind: 'compute#firewall',
      id: String(9_000_000 + gce.firewalls.size),
      name,
      description,
      network: NETWORK,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges,
      targetTags: ['win-k8s-kubernetes-win'],
      allowed,
      selfLink: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/firewalls/${name}`,
      creationTimestamp: new Date().toISOString(),
    });
  }

  before(async () => {
    ({ dir, gce, fake, kubeconfig, keyPath } = await startGcpCliEnv({ prefix: 'remove-gcp-', machineTypes: ['n2-standard-4'] }));
    // The pool's node-port rule as join makes it, and an RDP rule of the same name someone else made.
    putFirewall('win-k8s-kubernetes-win', 'win-k8s: node ports of pool win in cluster kubernetes', [{ IPProtocol: 'tcp', ports: ['10250', '10256'] }, { IPProtocol: 'udp', ports: ['4789'] }], ['10.20.0.0/20']);
    putFirewall('win-k8s-kubernetes-win-rdp', 'RDP for the ops team', [{ IPProtocol: 'tcp', ports: ['3389'] }], ['203.0.113.0/24']);
  });

  after(async () => {
    await fake?.stop();
    await gce?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') assert.deepEqual(gce.violations, [], 'every response of the fake matched compute.proto');
  });

  it('names win-k8s\'s rule with its id and what it allows, not the same-named rule it did not make, and deletes nothing', async () => {
    const from = gce.requests.length;
    const r = await cli(['remove', '--pool', 'win', '--cloud', 'gcp', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as RemovePlan;
    const id = String(gce.firewalls.get('win-k8s-kubernetes-win')!.id);
    assert.deepEqual(plan.poolFirewalls, [
      {
        pool: 'win',
        cloud: 'gcp',
        firewalls: [
          {
            id,
            name: 'win-k8s-kubernetes-win',
            rules: ['ingress tcp 10250,10256 from 10.20.0.0/20 to instances tagged win-k8s-kubernetes-win in network k8s', 'ingress udp 4789 from 10.20.0.0/20 to instances tagged win-k8s-kubernetes-win in network k8s'],
          },
        ],
      },
    ]);
    const writes = gce.requests.slice(from).filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
    assert.deepEqual(writes, [], 'a dry run only reads');
    assert.deepEqual([...gce.firewalls.keys()].sort(), ['win-k8s-kubernetes-win', 'win-k8s-kubernetes-win-rdp']);

    const human = await cli(['remove', '--pool', 'win', '--cloud', 'gcp', '--dry-run']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^would delete ${id} \\(win-k8s-kubernetes-win\\) of pool win, with its rules:\\n {2}ingress tcp 10250,10256 from 10\\.20\\.0\\.0/20`, 'm'));
    assert.doesNotMatch(human.stdout, /rdp|3389/);
    assert.match(human.stdout, /--dry-run: nothing was deleted\n$/);
  });
});
