import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { writeKubeconfigFor, type FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv } from '../fakes/moto/index.js';
import { startAwsJoinEnv, type AwsJoinEnv } from '../helpers/aws-join-env.js';
import type { RemovePlan, RemoveResult } from '../../src/pool/result.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

const RC = 'runtimeclasses.node.k8s.io';
const CRB = 'clusterrolebindings.rbac.authorization.k8s.io';
/** What join makes cluster-wide on a flannel cluster of Windows Server 2022 nodes. */
const JOIN_MADE = [
  { kind: 'ClusterRoleBinding', name: 'win-k8s:node-flannel' },
  { kind: 'ClusterRoleBinding', name: 'win-k8s:node-proxier' },
  { kind: 'RuntimeClass', name: 'windows-2022' },
];
const byName = (a: { kind: string; name: string }, b: { kind: string; name: string }) => `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`);

/**
 * The cluster-wide objects join makes (RuntimeClasses, ClusterRoleBindings) outlive a pool and
 * go with the last one; only those win-k8s labelled as its own. Through the built CLI against
 * moto and the fake API server, with two pools joined for real.
 */
describe('remove: the cluster-wide objects go with the last pool (moto + fake kube-apiserver)', function () {
  this.timeout(240_000);
  let aws: AwsJoinEnv;
  let fake: FakeKubeApiServer;

  function cli(args: string[], opts: { kubeconfig?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', opts.kubeconfig ?? aws.kubeconfig], { env: motoCliEnv(aws.proxy.url, opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const present = () => [...fake.store.list(RC).map((o) => ({ kind: 'RuntimeClass', name: o.metadata!.name! })), ...fake.store.list(CRB).filter((o) => o.metadata!.name!.startsWith('win-k8s:')).map((o) => ({ kind: 'ClusterRoleBinding', name: o.metadata!.name! }))].sort(byName);

  before(async () => {
    aws = await startAwsJoinEnv();
    fake = aws.fake;
    // A class someone made by hand, shaped like win-k8s's but without its label: never win-k8s's to delete.
    fake.store.put({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'windows-2019' },
      handler: 'runhcs-wcow-process',
      scheduling: { nodeSelector: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.17763' } },
    });
    for (const pool of ['one', 'two']) {
      const r = await cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--pool', pool, '--count', '1', '--yes', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
    }
    const made = fake.store.list(RC).find((o) => o.metadata?.name === 'windows-2022');
    assert.equal(made?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'win-k8s', 'join labels what it makes');
  });
  after(async () => {
    await aws?.stop();
  });

  it('remove --dry-run of one of two pools: keeps the objects (naming the pool left) and shows the security group and its rules', async () => {
    const r = await cli(['remove', '--pool', 'two', '--cloud', 'aws', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as RemovePlan;
    assert.deepEqual(plan.clusterObjects.wouldDelete, []);
    assert.match(plan.clusterObjects.kept!, /win-k8s nodes are left: one-[a-z0-9]{5}/);
    const sg = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['win-k8s-kubernetes-two'] }] }))).SecurityGroups![0]!;
    const [fw] = plan.poolFirewalls;
    assert.equal(fw?.pool, 'two');
    assert.deepEqual(fw?.firewalls?.map((f) => [f.id, f.name]), [[sg.GroupId, 'win-k8s-kubernetes-two']]);
    const rules = fw!.firewalls![0]!.rules;
    for (const port of ['tcp 10250', 'tcp 10256', 'udp 4789']) assert.ok(rules.some((x) => x.startsWith(`${port} from 10.20.0.0/16`)), `${port} from the VPC in ${rules.join('; ')}`);
    assert.ok(rules.some((x) => new RegExp(`^on ${aws.seeded.controlPlaneGroupId}: tcp 6443 from ${sg.GroupId} \\(sgr-`).test(x)), `the control plane's rule for the pool in ${rules.join('; ')}`);
    const human = await cli(['remove', '--pool', 'two', '--cloud', 'aws', '--dry-run']);
    assert.match(human.stdout, new RegExp(`would delete ${sg.GroupId} \\(win-k8s-kubernetes-two\\) of pool two, with its rules:\\n {2}tcp 10250 from 10.20.0.0/16`));
    assert.match(human.stdout, /would keep the cluster-wide objects join made: win-k8s nodes are left/);
    assert.deepEqual(present(), [...JOIN_MADE, { kind: 'RuntimeClass', name: 'windows-2019' }].sort(byName), 'a dry run deletes nothing');
  });

  it('removing one of two pools keeps them', async () => {
    const before = present();
    const r = await cli(['remove', '--pool', 'two', '--cloud', 'aws', '--yes', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RemoveResult;
    assert.deepEqual(result.clusterObjects.deleted, []);
    assert.match(result.clusterObjects.kept!, /one-[a-z0-9]{5}/);
    assert.deepEqual(present(), before);
  });

  it('the last pool with --dry-run: names the labelled objects, not the hand-made class; WIN_K8S_KEEP_CLUSTER_OBJECTS keeps them', async () => {
    const r = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as RemovePlan;
    assert.deepEqual([...plan.clusterObjects.wouldDelete].sort(byName), JOIN_MADE);
    assert.equal(plan.clusterObjects.kept, undefined);
    const human = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--dry-run']);
    assert.match(human.stdout, /would delete RuntimeClass windows-2022 \(no win-k8s pool would be left\)/);
    assert.match(human.stdout, /would delete ClusterRoleBinding win-k8s:node-proxier/);
    assert.doesNotMatch(human.stdout, /windows-2019/);
    const env = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--dry-run', '-o', 'json'], { env: { WIN_K8S_KEEP_CLUSTER_OBJECTS: 'true' } });
    assert.deepEqual((JSON.parse(env.stdout) as RemovePlan).clusterObjects, { wouldDelete: [], kept: 'kept as asked (--keep-cluster-objects)', left: [] });
  });

  it('--keep-cluster-objects: the last pool goes, the objects stay', async () => {
    const before = present();
    const r = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--yes', '--keep-cluster-objects', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RemoveResult;
    assert.equal(result.removed.length, 1);
    assert.deepEqual(result.clusterObjects, { deleted: [], kept: 'kept as asked (--keep-cluster-objects)', left: [] });
    assert.deepEqual(present(), before);
    assert.deepEqual(await aws.instances(), []);
  });

  it('RBAC forbids deleting them: exit 3, the output names what is left and the kubectl command', async () => {
    // Everything remove needs, but only reading RuntimeClasses and ClusterRoleBindings.
    fake.addToken('limited-remover-token', { user: 'remover', groups: ['ops'] });
    fake.grant({ user: 'remover' }, [
      { apiGroups: [''], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['apps', 'policy', 'coordination.k8s.io', 'discovery.k8s.io'], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['node.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    ]);
    const kubeconfig = writeKubeconfigFor(fake, { token: 'limited-remover-token' });
    const before = present();
    const r = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--yes'], { kubeconfig });
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /LEFT RuntimeClass windows-2022: forbidden: runtimeclasses.node.k8s.io "windows-2022" is forbidden: User "remover" cannot delete/);
    assert.match(r.stdout, /\n {2}delete it with: kubectl delete runtimeclass windows-2022\n/);
    assert.match(r.stdout, /\n {2}delete it with: kubectl delete clusterrolebinding win-k8s:node-proxier(\n|$)/);
    assert.match(r.stderr, /ClusterRoleBinding win-k8s:node-flannel is left: forbidden: .*; delete it with: kubectl delete clusterrolebinding win-k8s:node-flannel/);
    assert.deepEqual(present(), before, 'nothing was deleted');
    const json = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--yes', '-o', 'json'], { kubeconfig });
    assert.equal(json.code, 3);
    const left = (JSON.parse(json.stdout) as RemoveResult).clusterObjects.left;
    assert.deepEqual(left.map((l) => l.command).sort(), ['kubectl delete clusterrolebinding win-k8s:node-flannel', 'kubectl delete clusterrolebinding win-k8s:node-proxier', 'kubectl delete runtimeclass windows-2022']);
  });

  it('removing the last pool deletes what join labelled, and leaves the hand-made class', async () => {
    const r = await cli(['remove', '--pool', 'one', '--cloud', 'aws', '--yes', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RemoveResult;
    assert.deepEqual([...result.clusterObjects.deleted].sort(byName), JOIN_MADE);
    assert.deepEqual(present(), [{ kind: 'RuntimeClass', name: 'windows-2019' }]);
    assert.match(r.stderr, /deleted RuntimeClass windows-2022 \(no win-k8s pool is left\)/);
  });
});
