import assert from 'node:assert/strict';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, makeNode, makePod, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { resolveKubeconfig } from '../../src/cluster/kubeconfig.js';
import { connect, type Cluster } from '../../src/cluster/client.js';
import { cordon, deleteNode, drain } from '../../src/cluster/drain.js';

describe('cordon and drain (remove)', () => {
  let fake: FakeKubeApiServer;
  let cluster: Cluster;
  const events: string[] = [];
  const sink = (e: { message: string }) => void events.push(e.message);

  before(async () => {
    fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    cluster = await connect(resolveKubeconfig({ flag: writeKubeconfigFor(fake, { token: ADMIN_TOKEN }), env: {}, cwd: process.cwd() }));
  });
  after(() => fake.stop());

  const pod = (namespace: string, name: string, nodeName: string, ownerKind?: string, labels: Record<string, string> = {}) =>
    makePod({
      namespace,
      name,
      nodeName,
      hostIP: '10.0.0.50',
      template: { labels, containers: [{ name: 'c', image: 'mcr.microsoft.com/windows/servercore:ltsc2022' }] },
      ...(ownerKind ? { owner: { apiVersion: 'apps/v1', kind: ownerKind, name: `${name}-owner`, uid: `${name}-uid` } } : {}),
    });

  it('cordons, evicts controller-managed pods, leaves DaemonSet pods, and deletes the Node', async () => {
    fake.store.put(makeNode({ name: 'win-drain', os: 'windows', internalIP: '10.0.0.50' }));
    fake.store.put(pod('default', 'web-1', 'win-drain', 'ReplicaSet'));
    fake.store.put(pod('kube-system', 'kube-proxy-win', 'win-drain', 'DaemonSet'));
    await cordon(cluster, 'win-drain');
    assert.equal((fake.store.get('nodes', undefined, 'win-drain')!.spec as { unschedulable?: boolean }).unschedulable, true);
    const { evicted } = await drain(cluster, 'win-drain', { force: false, timeoutMs: 5000, sink, retryMs: 50 });
    assert.deepEqual(evicted, ['default/web-1']);
    assert.ok(fake.store.get('pods', 'kube-system', 'kube-proxy-win'), 'DaemonSet pod stays');
    assert.equal(await deleteNode(cluster, 'win-drain'), true);
    assert.equal(await deleteNode(cluster, 'win-drain'), false, 'already gone is fine');
  });

  it('refuses to lose pods without a controller unless --force', async () => {
    fake.store.put(makeNode({ name: 'win-bare', os: 'windows', internalIP: '10.0.0.51' }));
    fake.store.put(pod('default', 'bare', 'win-bare'));
    await assert.rejects(drain(cluster, 'win-bare', { force: false, timeoutMs: 2000, sink, retryMs: 50 }), /default\/bare has no controller[\s\S]*/);
    const { evicted } = await drain(cluster, 'win-bare', { force: true, timeoutMs: 5000, sink, retryMs: 50 });
    assert.deepEqual(evicted, ['default/bare']);
  });

  it('respects a PodDisruptionBudget: retries while it blocks, then times out naming the budget', async () => {
    fake.store.put(makeNode({ name: 'win-pdb', os: 'windows', internalIP: '10.0.0.52' }));
    fake.store.put(pod('default', 'guarded', 'win-pdb', 'ReplicaSet', { app: 'guarded' }));
    fake.store.put({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { namespace: 'default', name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } });
    await assert.rejects(drain(cluster, 'win-pdb', { force: false, timeoutMs: 400, sink, retryMs: 50 }), /PodDisruptionBudget still blocks evicting default\/guarded/);
    assert.ok(fake.store.get('pods', 'default', 'guarded'), 'the pod was not evicted');
    assert.ok(fake.requests.filter((r) => r.path.endsWith('/guarded/eviction')).length >= 2, 'the eviction was retried');
  });
});
