import assert from 'node:assert/strict';
import { connect, type Cluster } from '../../src/cluster/client.js';
import { resolveKubeconfig } from '../../src/cluster/kubeconfig.js';
import { applyManifest, WINDOWS_NODE_RBAC } from '../../src/cluster/manifests.js';
import { listManagedClusterObjects } from '../../src/cluster/managed-objects.js';
import { ensureRuntimeClasses } from '../../src/cluster/runtime-classes.js';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, makeClusterRoleBinding, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';

/**
 * An object of a name join uses that someone else made (no managed-by label) stays theirs: join
 * neither changes nor labels it, so `remove` of the last pool never finds it among its own.
 */
describe('cluster-wide objects win-k8s did not make are not adopted', () => {
  let fake: FakeKubeApiServer;
  let cluster: Cluster;
  const RC = 'runtimeclasses.node.k8s.io';
  const CRB = 'clusterrolebindings.rbac.authorization.k8s.io';

  before(async () => {
    fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    cluster = await connect(resolveKubeconfig({ flag: writeKubeconfigFor(fake, { token: ADMIN_TOKEN }), env: {}, cwd: process.cwd() }));
  });
  after(() => fake.stop());

  it('a hand-made RuntimeClass and a binding made with the README\'s kubectl command keep their shape and stay unlabelled', async () => {
    // What `kubectl create runtimeclass`-style YAML from a blog post would hold: another selector, no labels.
    fake.store.put({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'windows-2022' }, handler: 'runhcs-wcow-process', scheduling: { nodeSelector: { 'kubernetes.io/os': 'windows' } } });
    // `kubectl create clusterrolebinding win-k8s:node-proxier --clusterrole=system:node-proxier --group=system:nodes`
    fake.store.put(makeClusterRoleBinding('win-k8s:node-proxier', 'system:node-proxier', [{ kind: 'Group', name: 'system:nodes' }]));
    const rv = (type: string, name: string) => fake.store.get(type, undefined, name)?.metadata?.resourceVersion;
    const before = [rv(RC, 'windows-2022'), rv(CRB, 'win-k8s:node-proxier')];

    const classes = await ensureRuntimeClasses(cluster, { builds: ['10.0.20348'], taintWindows: true, hyperv: false });
    assert.deepEqual(classes.classes, [{ name: 'windows-2022', action: 'not-ours' }]);
    const rbac = await applyManifest(cluster, WINDOWS_NODE_RBAC, {});
    assert.deepEqual(rbac.map((r) => `${r.name} ${r.action}`), ['win-k8s:node-proxier not-ours', 'win-k8s:node-flannel created']);

    assert.deepEqual([rv(RC, 'windows-2022'), rv(CRB, 'win-k8s:node-proxier')], before, 'neither was written to');
    assert.equal(fake.store.get(RC, undefined, 'windows-2022')?.metadata?.labels?.['app.kubernetes.io/managed-by'], undefined);
    const { objects } = await listManagedClusterObjects(cluster);
    assert.deepEqual(objects, [{ kind: 'ClusterRoleBinding', name: 'win-k8s:node-flannel' }], 'only what win-k8s made is its own');
  });
});
