import assert from 'node:assert/strict';
import { renderBootstrap, type RenderRequest } from '../../src/bootstrap/render.js';
import { compressScript } from '../../src/bootstrap/compress.js';
import { caCertHash } from '../../src/cluster/ca-hash.js';
import { FakeKubeApiServer, healthyKubeadmFlannel } from '../fakes/kube-apiserver/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import { parseBootstrap, scriptFromUserData } from '../fakes/node-agent/script.js';

const request = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  target: { windowsVersion: '2022', kubernetesVersion: '1.33.2', runtime: 'containerd', cni: 'flannel', hypervIsolation: false },
  nodeName: 'win-abcde',
  apiServer: 'cp.example.internal:6443',
  token: 'abcdef.0123456789abcdef',
  caCertHash: `sha256:${'a'.repeat(64)}`,
  serviceCidr: '10.96.0.0/12',
  clusterCidr: '10.244.0.0/16',
  labels: { 'win-k8s.io/pool': 'win' },
  taints: ['os=windows:NoSchedule'],
  proxy: { noProxy: [] },
  checksums: {},
  allowUnsupported: false,
  toolVersion: '0.0.0',
  ...over,
});

describe('simulated node agent', () => {
  it('reads the values a node needs from the rendered script, plain and compressed', () => {
    const { script } = renderBootstrap(request());
    for (const userData of [`<powershell>\n${script}\n</powershell>`, `<powershell>\n${compressScript(script)}\n</powershell>`]) {
      const v = parseBootstrap(scriptFromUserData(userData));
      assert.equal(v.nodeName, 'win-abcde');
      assert.equal(v.token, 'abcdef.0123456789abcdef');
      assert.equal(v.windowsBuild, 20348);
      assert.deepEqual(v.labels, { 'win-k8s.io/pool': 'win' });
      assert.deepEqual(v.taints, ['os=windows:NoSchedule']);
      assert.ok(v.phases.includes('join'));
    }
    assert.ok(!parseBootstrap(renderBootstrap(request({ mode: 'provision' })).script).phases.includes('join'));
  });

  describe('against the fake kube-apiserver', () => {
    let fake: FakeKubeApiServer;
    before(async () => {
      fake = new FakeKubeApiServer(healthyKubeadmFlannel());
      await fake.start();
    });
    after(() => fake.stop());

    it('joins with a valid token (CSR signed, Node registered, then Ready) and refuses a bad one', async () => {
      const token = fake.createBootstrapToken({ ttlSeconds: 600 });
      const good = renderBootstrap(request({ token, caCertHash: caCertHash(fake.caPem), nodeName: 'win-good1' })).script;
      const badToken = renderBootstrap(request({ token: 'zzzzzz.0123456789abcdef', caCertHash: caCertHash(fake.caPem), nodeName: 'win-bad01' })).script;
      const badCa = renderBootstrap(request({ token, nodeName: 'win-bad02' })).script;
      const scripts: Record<string, string> = { 'i-1': good, 'i-2': badToken, 'i-3': badCa };
      const lines: Record<string, string[]> = {};
      const agent = new SimulatedNodeAgent({
        fake,
        source: { list: async () => Object.keys(scripts).map((id) => ({ id })), script: async (id) => scripts[id]! },
        console: { append: (id, line) => (lines[id] ??= []).push(line) },
        pollMs: 20,
      });
      agent.start();
      const deadline = Date.now() + 10_000;
      while ([...agent.records.values()].filter((r) => r.state === 'ready' || r.state === 'failed').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await agent.stop();
      assert.equal(agent.records.get('i-1')?.state, 'ready', agent.records.get('i-1')?.reason);
      const node = fake.store.get('nodes', undefined, 'win-good1')!;
      assert.equal((node.metadata as { labels: Record<string, string> }).labels['node.kubernetes.io/windows-build'], '10.0.20348');
      assert.equal(agent.records.get('i-2')?.state, 'failed');
      assert.match(agent.records.get('i-2')!.reason!, /bootstrap token was refused/);
      assert.equal(agent.records.get('i-3')?.state, 'failed');
      assert.match(agent.records.get('i-3')!.reason!, /CA does not match/);
      assert.equal(fake.store.get('nodes', undefined, 'win-bad01'), undefined);
      assert.ok(lines['i-2']!.some((l) => l.startsWith('win-k8s: join failed')));
    });
  });
});
