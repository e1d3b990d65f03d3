import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { FakeKubeApiServer, makeNode, winK8sTokenSecrets } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv, type AwsProxy, type SeededCluster } from '../fakes/moto/index.js';
import { startAwsJoinEnv, type AwsJoinEnv } from '../helpers/aws-join-env.js';
import type { JoinResult } from '../../src/pool/result.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('win-k8s join on AWS, end to end (moto + fake kube-apiserver + simulated nodes)', function () {
  this.timeout(120_000);
  let aws: AwsJoinEnv;
  let proxy: AwsProxy;
  let fake: FakeKubeApiServer;
  let seeded: SeededCluster;
  let kubeconfig: string;
  let ec2: EC2Client;
  let agent: AwsJoinEnv['agent'];
  const outputs: string[] = [];
  /** Instance ids whose simulated node uses a wrong token (the broken-token test). */
  const brokenToken = new Set<string>();

  const env = () => motoCliEnv(proxy.url);

  function cli(args: string[], opts: { onSpawn?: (kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      opts.onSpawn?.((sig) => child.kill(sig));
      child.on('close', (code) => {
        outputs.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const join = (args: string[]) => cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', ...args]);

  async function controlPlaneGroup() {
    return (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [seeded.controlPlaneGroupId] }))).SecurityGroups![0]!;
  }

  const instances = (pool?: string) => aws.instances(pool);

  before(async () => {
    aws = await startAwsJoinEnv({
      script: (id, script) => (brokenToken.has(id) ? script.replace(/^\$BootstrapToken = '[^']*'/m, "$BootstrapToken = 'zzzzzz.zzzzzzzzzzzzzzzz'") : script),
    });
    ({ proxy, fake, seeded, kubeconfig, ec2, agent } = aws);
  });

  after(async () => {
    await aws?.stop();
  });

  const bootstrapSecrets = () => winK8sTokenSecrets(fake);

  it('refuses to create anything without --yes and without a TTY (exit 2)', async () => {
    const r = await cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--count', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--yes: confirmation needed/);
    assert.equal(proxy.calls('RunInstances').length, 0);
  });

  it('--dry-run prints the plan and creates nothing', async () => {
    const r = await cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--count', '2', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).nodes.length, 2);
    assert.equal(proxy.calls('RunInstances').length, 0);
  });

  it('--hyperv-isolation on a type that cannot run Hyper-V: exit 2 naming --instance-type and types that can, nothing created', async () => {
    const secretsBefore = fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length;
    const r = await join(['--pool', 'hv', '--count', '1', '--hyperv-isolation']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--instance-type: m5\.large cannot run Hyper-V, which --hyperv-isolation needs/);
    assert.match(r.stderr, /m8i\.large, c8i\.large, r8i\.large, m5\.metal/);
    assert.equal(proxy.calls('CreateSecurityGroup').length, 0);
    assert.equal(proxy.calls('RunInstances').length, 0);
    assert.equal(fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length, secretsBefore, 'no token');
  });

  it('--region xx-nowhere-9: exit 2 naming --region and the regions there are, at once and with nothing sent', async () => {
    const calls = proxy.log.length;
    const started = Date.now();
    const r = await join(['--pool', 'nowhere', '--count', '1', '--region', 'xx-nowhere-9']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--region: "xx-nowhere-9" \(from --region\) is not an AWS region/);
    assert.match(r.stderr, /us-east-1, us-east-2, us-west-1, us-west-2/);
    assert.ok(Date.now() - started < 20_000, 'not retried for half a minute');
    assert.equal(proxy.log.length, calls, 'no AWS call was made');
  });

  it('join --count 3: three Ready nodes with phase times, labels, RuntimeClass, and the token deleted', async () => {
    const r = await join(['--pool', 'win', '--count', '3']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.equal(result.pool, 'win');
    assert.equal(result.cluster, 'kubernetes');
    assert.equal(result.nodes.length, 3);
    for (const n of result.nodes) {
      assert.equal(n.status, 'Ready', JSON.stringify(n));
      assert.match(n.name, /^win-[a-z0-9]{5}$/);
      assert.match(n.instanceId!, /^i-/);
      assert.match(n.privateIp!, /^10\.20\.1\./);
      for (const phase of ['provision', 'boot', 'register', 'ready']) assert.equal(typeof n.phases[phase], 'number', `${n.name} lacks ${phase}`);
      const node = fake.store.get('nodes', undefined, n.name)!;
      assert.equal((node.metadata as { labels: Record<string, string> }).labels['win-k8s.io/pool'], 'win');
    }
    assert.ok(fake.store.get('runtimeclasses.node.k8s.io', undefined, 'windows-2022'), 'RuntimeClass windows-2022');
    assert.ok(fake.store.get('clusterrolebindings.rbac.authorization.k8s.io', undefined, 'win-k8s:node-proxier'), 'node RBAC for kube-proxy');
    assert.deepEqual(bootstrapSecrets(), [], 'bootstrap token deleted');
    assert.equal((await instances('win')).length, 3);
    const sg = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['win-k8s-kubernetes-win'] }] }));
    assert.equal(sg.SecurityGroups?.length, 1);
    const poolGroup = sg.SecurityGroups![0]!.GroupId!;
    for (const i of await instances('win')) {
      assert.deepEqual((i.NetworkInterfaces?.[0]?.Groups ?? []).map((g) => g.GroupId), [poolGroup], 'the pool\'s group only, not the control plane\'s');
    }
    const referring = (await controlPlaneGroup()).IpPermissions!.flatMap((perm) =>
      (perm.UserIdGroupPairs ?? []).filter((g) => g.GroupId === poolGroup).map((g) => `${perm.IpProtocol} ${perm.FromPort}-${perm.ToPort} ${g.GroupId}`),
    );
    assert.deepEqual(referring.sort(), [`tcp 6443-6443 ${poolGroup}`, `udp 4789-4789 ${poolGroup}`], 'the control plane admits the pool to the API server and VXLAN, nothing more');
    assert.match(r.stderr, /using context "fake"/);
  });

  it('--aws-control-plane-groups puts the nodes into the control plane\'s groups as well', async () => {
    const r = await join(['--pool', 'mem', '--count', '1', '--aws-control-plane-groups']);
    assert.equal(r.code, 0, r.stderr);
    const [i] = await instances('mem');
    const groups = (i!.NetworkInterfaces?.[0]?.Groups ?? []).map((g) => g.GroupId);
    assert.ok(groups.includes(seeded.controlPlaneGroupId), JSON.stringify(groups));
    assert.equal(groups.length, 2);
    assert.match(r.stderr, /admits tcp 6443 from anywhere; the Windows nodes join it/);
  });

  it('re-running tops the pool up from the tags instead of creating again', async () => {
    const before = proxy.calls('RunInstances').length;
    const same = await join(['--pool', 'win', '--count', '3']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(proxy.calls('RunInstances').length, before, 'nothing created');
    assert.ok((JSON.parse(same.stdout) as JoinResult).nodes.every((n) => n.existing && n.status === 'Ready'));
    const more = await join(['--pool', 'win', '--count', '4']);
    assert.equal(more.code, 0, more.stderr);
    assert.equal((await instances('win')).length, 4);
    assert.equal((JSON.parse(more.stdout) as JoinResult).nodes.filter((n) => !n.existing).length, 1);
  });

  it('list joins VMs and Nodes, and marks orphans', async () => {
    fake.store.put(makeNode({ name: 'win-orphn', os: 'windows', internalIP: '10.20.1.200', labels: { 'win-k8s.io/pool': 'win' } }));
    const r = await cli(['list', '-o', 'json', '--cloud', 'aws']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout).nodes as { name: string; pool: string; vmState: string; nodeStatus: string; instanceId: string | null; cloud: string }[];
    assert.equal(rows.filter((x) => x.pool === 'win' && x.vmState === 'running' && x.nodeStatus === 'Ready').length, 4);
    const orphan = rows.find((x) => x.name === 'win-orphn');
    assert.equal(orphan?.vmState, 'Missing');
    assert.equal(orphan?.instanceId, null);
    const text = await cli(['list', '--cloud', 'aws']);
    assert.match(text.stdout, /win-orphn\s+win\s+aws\s+-\s+Missing/);
    fake.store.remove('nodes', undefined, 'win-orphn');
  });

  it('throttling (RequestLimitExceeded) is retried and the join still succeeds', async () => {
    proxy.fail({ action: 'RunInstances', code: 'RequestLimitExceeded', message: 'Request limit exceeded.', times: 2 });
    const r = await join(['--pool', 'thr', '--count', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.log.filter((e) => e.injected === 'RequestLimitExceeded').length, 2);
  });

  it('one VM failing to create: that node Failed with what to do, the others Ready, exit 1', async () => {
    proxy.fail({ action: 'RunInstances', code: 'VcpuLimitExceeded', status: 400, message: 'You have requested more vCPU capacity than your current vCPU limit allows', times: 1 });
    const r = await join(['--pool', 'part', '--count', '2']);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    const failed = result.nodes.filter((n) => n.status === 'Failed');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.error!, /vCPU/i);
    assert.equal(result.nodes.filter((n) => n.status === 'Ready').length, 1);
    assert.deepEqual(bootstrapSecrets(), []);
  });

  it('a broken token fails as soon as the console shows it (not at --timeout), with the console tail; --on-failure delete removes the VM', async () => {
    const watch = setInterval(() => {
      void Promise.all([instances('bad'), instances('bad2')]).then((lists) => lists.flat().forEach((i) => brokenToken.add(i.InstanceId!)));
    }, 20);
    try {
      // A 10-minute timeout: the run ends on the failure line, long before it.
      const r = await join(['--pool', 'bad', '--count', '1', '--timeout', '10m']);
      assert.equal(r.code, 1, r.stderr);
      const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
      assert.equal(node!.status, 'Failed');
      assert.match(node!.error!, /^bootstrap failed; last bootstrap lines:[\s\S]*win-k8s: join failed kubeadm join: the bootstrap token was refused/);
      assert.match(r.stderr, /bootstrap failed \(see its console\)/);
      assert.match(r.stderr, /win-k8s remove bad-[a-z0-9]{5} --cloud aws --yes/);
      const del = await join(['--pool', 'bad2', '--count', '1', '--timeout', '10m', '--on-failure', 'delete']);
      assert.equal(del.code, 1);
      assert.match((JSON.parse(del.stdout) as JoinResult).nodes[0]!.error!, /VM deleted/);
      assert.equal((await instances('bad2')).length, 0);
      // The pool is empty again, so its security group went too: nothing is left behind.
      const sg = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['win-k8s-kubernetes-bad2'] }] }));
      assert.equal(sg.SecurityGroups?.length ?? 0, 0);
    } finally {
      clearInterval(watch);
    }
    // Stop sabotaging: the next instances use their real token.
  });

  it('provision: VMs with runtime and binaries, not joined, end Provisioned; no token is created', async () => {
    const secretsBefore = fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length;
    const r = await cli(['provision', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'prov', '--count', '2']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.deepEqual(result.nodes.map((n) => n.status), ['Provisioned', 'Provisioned']);
    for (const n of result.nodes) assert.equal(fake.store.get('nodes', undefined, n.name), undefined, 'not joined');
    assert.equal(fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length, secretsBefore);
  });

  it('Ctrl-C mid-run stops, deletes the token, reports what exists, exits 130', async () => {
    // Hold RunInstances back so the interrupt lands while VMs are being created.
    proxy.fail({ action: 'RunInstances', code: 'RequestLimitExceeded', times: 3 });
    const r = await cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', 'intr', '--count', '2'], {
      onSpawn: (kill) => {
        const t = setInterval(() => {
          if (bootstrapSecrets().length > 0) {
            clearInterval(t);
            kill('SIGINT');
          }
        }, 10);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted; the bootstrap token was deleted/);
    assert.deepEqual(bootstrapSecrets(), []);
    proxy.clearFaults();
  });

  it('remove --pool drains, deletes Nodes and VMs, then the pool\'s security group: nothing tagged is left', async () => {
    // By name: the kept Failed node of pool "bad" (its VM goes, then the empty pool's group).
    const [bad] = await instances('bad');
    const badName = bad!.Tags!.find((t) => t.Key === 'win-k8s.io/node-name')!.Value!;
    const byName = await cli(['remove', badName, '--cloud', 'aws', '--yes', '-o', 'json']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(JSON.parse(byName.stdout).removed.map((r: { name: string }) => r.name), [badName]);
    assert.equal((await instances('bad')).length, 0);
    const unknown = await cli(['remove', 'win-nope1', '--cloud', 'aws', '--yes']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /not managed by win-k8s in cluster kubernetes: win-nope1/);
    for (const pool of ['win', 'mem', 'thr', 'part', 'bad', 'intr', 'prov']) {
      const r = await cli(['remove', '--pool', pool, '--cloud', 'aws', '--yes', '-o', 'json']);
      assert.equal(r.code, 0, `${pool}: ${r.stderr}`);
    }
    assert.deepEqual(await instances(), []);
    assert.equal(fake.store.list('nodes').filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.['win-k8s.io/pool']).length, 0);
    const sgs = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }] }));
    assert.deepEqual((sgs.SecurityGroups ?? []).map((g) => g.GroupName), []);
    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }] }));
    assert.deepEqual(rules.SecurityGroupRules, [], 'the control plane\'s rules for the pools went with them');
    const cpSources = (await controlPlaneGroup()).IpPermissions!.flatMap((perm) => (perm.UserIdGroupPairs ?? []).map((g) => g.GroupId));
    assert.deepEqual(cpSources, [seeded.controlPlaneGroupId], 'only the control plane\'s own self-reference is left');
  });

  it('no bootstrap token ever appeared in any output', () => {
    const tokens = [...agent.records.values()].map((r) => r.values?.token).filter((t): t is string => Boolean(t) && !t!.startsWith('zzzzzz'));
    assert.ok(tokens.length >= 5, `saw ${tokens.length} tokens`);
    for (const token of tokens) {
      const secret = token.split('.')[1]!;
      for (const text of outputs) assert.ok(!text.includes(secret), 'a bootstrap token secret reached stdout or stderr');
    }
  });
});
