import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVolumeCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, makeNode, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { FAKE_CREDENTIALS, WINDOWS_AMIS, motoEc2, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer, type SeededCluster } from '../fakes/moto/index.js';
import { runCli } from '../helpers/cli.js';
import { readPlan } from '../helpers/plan-run.js';
import { withoutEnv } from '../helpers/process-env.js';
import type { PlanDocument } from '../../src/plan/plan-document.js';

/**
 * plan and join --dry-run ask AWS (through moto) what join would ask it before creating
 * anything: credentials, region, subnet, instance type in the zone, image. The in-process CLI's
 * SDK reads credentials and the endpoint from process.env, so they are set there for the file.
 */
describe('plan asks AWS, reading only (moto)', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let proxy: AwsProxy;
  let seeded: SeededCluster;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  const saved: Record<string, string | undefined> = {};
  const ENV = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL: '' };

  before(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    placeControlPlane(fake, seeded.providerId);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    ENV.AWS_ENDPOINT_URL = proxy.url;
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await fake?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  beforeEach(() => proxy.clearLog());

  /** Every call that reached AWS was a read: Describe*, Get*, List*. */
  function assertOnlyReads(): void {
    const writes = proxy.log.map((e) => e.action).filter((a) => !/^(Describe|Get|List)/.test(a));
    assert.deepEqual(writes, [], 'plan made no mutating call');
    assert.ok(proxy.log.length > 0, 'AWS was asked');
  }

  async function plan(args: string[] = [], verb: string[] = ['plan']) {
    const r = await runCli([...verb, '--kubeconfig', kubeconfig, '--api-server', 'cp.example.internal:6443', '-o', 'json', ...args], { env: { AWS_REGION: '' } });
    return readPlan(r);
  }

  it('a clean plan: joinable, with the subnet, zone and image AWS would use', async () => {
    const r = await plan();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.doc.joinable, true);
    assert.equal(r.check('cloud.placement')?.status, 'pass', r.check('cloud.placement')?.message);
    assert.equal(r.check('cloud.image')?.status, 'pass', r.check('cloud.image')?.message);
    assert.deepEqual(
      { region: r.doc.cloud?.region, zone: r.doc.cloud?.zone, network: r.doc.cloud?.network, subnet: r.doc.cloud?.subnet },
      { region: 'us-east-1', zone: seeded.zone, network: seeded.vpcId, subnet: seeded.subnetId },
    );
    assert.ok(Object.values(WINDOWS_AMIS).map(String).includes(r.doc.cloud!.image!.id) || /^ami-/.test(r.doc.cloud!.image!.id), r.doc.cloud?.image?.id);
    assert.equal(r.doc.target.image, r.doc.cloud!.image!.id);
    // m5.large (2 vCPUs) against the Standard On-Demand quota; the control plane's t3.large uses 2.
    const quota = r.check('cloud.quota');
    assert.equal(quota?.status, 'pass', quota?.message);
    assert.match(quota!.message, /L-1216C47A \(Running On-Demand Standard instances\): 2 needed, 638 free \(2 of 640 vCPUs in use\)/);
    // The 100 GiB gp3 root volume against the gp3 storage quota (50 TiB).
    assert.match(quota!.message, /L-7A658B76 \(gp3 storage\): 100 needed, \d+ free \(\d+ of 51200 GiB in use\)/);
    assert.ok(proxy.log.some((e) => e.service === 'servicequotas' && e.action === 'GetServiceQuota'), 'Service Quotas was asked');
    assertOnlyReads();
  });

  it('a pool that does not fit in the On-Demand Standard vCPU quota: not joinable, with the numbers and where to ask for more', async () => {
    proxy.serviceQuotas.set('ec2/L-1216C47A', 8);
    try {
      const r = await plan(['--count', '4']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.doc.joinable, false);
      const c = r.check('cloud.quota');
      assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
      assert.match(c!.message, /L-1216C47A \(Running On-Demand Standard instances\): 8 needed, 6 free \(2 of 8 vCPUs in use\)/);
      assert.match(c!.hint!, /--count.*https:\/\/docs\.aws\.amazon\.com\/servicequotas\/latest\/userguide\/request-quota-increase\.html/);
      assertOnlyReads();
      const fits = await plan(['--count', '3']);
      assert.equal(fits.check('cloud.quota')?.status, 'pass', fits.check('cloud.quota')?.message);
      // 3 x 200 GiB root volumes do not fit in a 0.5 TiB gp3 quota.
      proxy.serviceQuotas.set('ebs/L-7A658B76', 0.5);
      const disks = await plan(['--count', '3', '--disk-size', '200']);
      assert.equal(disks.check('cloud.quota')?.status, 'fail', disks.check('cloud.quota')?.message);
      assert.match(disks.check('cloud.quota')!.message, /L-7A658B76 \(gp3 storage\): 600 needed, \d+ free \(\d+ of 512 GiB in use\)/);
      assert.doesNotMatch(disks.check('cloud.quota')!.message, /L-1216C47A/, 'the vCPUs fit');
    } finally {
      proxy.serviceQuotas.set('ec2/L-1216C47A', 640);
      proxy.serviceQuotas.set('ebs/L-7A658B76', 50);
    }
  });

  it('gp3 volumes already there count as in use', async () => {
    const inUse = (m: string) => Number(/L-7A658B76 \(gp3 storage\): \d+ needed, \d+ free \((\d+) of/.exec(m)?.[1]);
    const before = inUse((await plan()).check('cloud.quota')!.message);
    const ec2 = motoEc2(moto.url);
    try {
      await ec2.send(new CreateVolumeCommand({ AvailabilityZone: seeded.zone, Size: 300, VolumeType: 'gp3' }));
      await ec2.send(new CreateVolumeCommand({ AvailabilityZone: seeded.zone, Size: 70, VolumeType: 'gp2' }));
    } finally {
      ec2.destroy();
    }
    const after = inUse((await plan()).check('cloud.quota')!.message);
    assert.equal(after - before, 300, 'the gp3 volume, not the gp2 one');
  });

  it('Service Quotas denied, or without the quota (moto has only VPC\'s): a warning, still joinable', async () => {
    proxy.fail({ action: 'GetServiceQuota', service: 'servicequotas', status: 400, code: 'AccessDeniedException', message: 'User is not authorized to perform: servicequotas:GetServiceQuota', times: 2 });
    const denied = await plan();
    assert.equal(denied.code, 0, denied.stderr + denied.stdout);
    assert.equal(denied.doc.joinable, true);
    assert.equal(denied.check('cloud.quota')?.status, 'warn', denied.check('cloud.quota')?.message);
    assert.match(denied.check('cloud.quota')!.message, /quota not readable: .*AccessDeniedException/);
    assert.equal(denied.check('cloud.access'), undefined, 'EC2 access is fine');
    // moto itself: NoSuchResourceException for an EC2 quota.
    proxy.serviceQuotas.delete('ec2/L-1216C47A');
    try {
      const moto = await plan();
      assert.equal(moto.check('cloud.quota')?.status, 'warn', moto.check('cloud.quota')?.message);
      assert.match(moto.check('cloud.quota')!.message, /quota not readable: .*NoSuchResource/);
    } finally {
      proxy.serviceQuotas.set('ec2/L-1216C47A', 640);
    }
  });

  it('--region mars-1: not joinable, the finding names --region (plan and join --dry-run)', async () => {
    for (const verb of [['plan'], ['join', '--dry-run']]) {
      const r = await plan(['--region', 'mars-1'], verb);
      assert.equal(r.code, 1, `${verb[0]}: ${r.stderr}`);
      assert.equal(r.doc.joinable, false);
      const c = r.check('cloud.region');
      assert.equal(c?.status, 'fail');
      assert.match(c!.message, /--region: "mars-1" .*not an AWS region/);
      assert.equal(r.check('cloud.image'), undefined, 'one finding for the region, not one per call');
    }
    assert.deepEqual(proxy.log.map((e) => e.action), [], 'nothing reached AWS');
  });

  it('a region other than the control plane\'s: the finding names --region', async () => {
    const r = await plan(['--region', 'us-west-2']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.check('cloud.region')!.message, /control plane runs in us-east-1/);
    assert.match(r.check('cloud.region')!.hint!, /--region us-east-1/);
  });

  it('an AMI that is not in the region: not joinable, naming --image', async () => {
    const r = await plan(['--image', 'ami-0000000000000dead']);
    assert.equal(r.code, 1, r.stderr);
    const c = r.check('cloud.image');
    assert.equal(c?.status, 'fail');
    assert.match(c!.message, /--image: AMI ami-0000000000000dead does not exist in us-east-1/);
    assert.equal(r.check('cloud.placement')?.status, 'pass');
    assertOnlyReads();
  });

  it('an instance type EC2 does not have: not joinable, naming --instance-type', async () => {
    const r = await plan(['--instance-type', 'm5.huge']);
    assert.equal(r.code, 1, r.stderr);
    const c = r.check('cloud.instance-type');
    assert.equal(c?.status, 'fail');
    assert.match(c!.message, /--instance-type: "m5\.huge" is not an EC2 instance type in us-east-1/);
    assertOnlyReads();
  });

  it('no AWS credentials: exit 3 with the hint, as join', async () => {
    await withoutEnv(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], async () => {
      // The plan still shows what the cluster said; the cloud's verdict is the environment (3).
      const r = await plan([], ['plan']).catch(() => undefined);
      assert.ok(r, 'a plan document on stdout');
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.check('cloud.access')?.status, 'fail');
      assert.match(r.check('cloud.access')!.message, /no AWS credentials found/);
      assert.ok(r.check('cloud.access')!.hint);
      assert.equal(r.check('cni.flannel')?.status, 'pass', 'the cluster checks are there');
      const dry = await plan([], ['join', '--dry-run']);
      assert.equal(dry.code, 3, dry.stderr);
    });
  });

  it('prints the resolved configuration in a form -c takes back: the same plan again', async () => {
    const flags = ['--pool', 'edge', '--count', '2', '--instance-type', 'm5.xlarge', '--edition', 'full', '--taint-windows', '--token-ttl', '45m', '--node-labels', 'team=web'];
    const first = await plan(flags, ['join', '--dry-run']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.doc.config.cluster?.token, undefined, 'no secret');
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-roundtrip-'));
    const file = join(dir, 'win-k8s.yaml');
    writeFileSync(file, JSON.stringify(first.doc.config));
    // Only the file this time (it names the kubeconfig too).
    const again = await runCli(['plan', '-c', file, '-o', 'json']);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as PlanDocument;
    const sameButNames = (d: PlanDocument) => ({ ...d, nodes: d.nodes.length, steps: JSON.stringify(d.steps).replace(/edge-[a-z0-9]{5}/g, 'edge-*') });
    assert.deepEqual(sameButNames(doc), sameButNames(first.doc));
    assert.equal(doc.target.pool, 'edge');
    assert.equal(doc.config.pool?.instanceType, 'm5.xlarge');
    assertOnlyReads();
  });

  it('remove --dry-run shows the Nodes, VMs and the pool\'s firewall that would go, and deletes nothing', async () => {
    const ec2 = motoEc2(moto.url);
    try {
      const tags = [{ Key: 'win-k8s.io/cluster', Value: 'kubernetes' }, { Key: 'win-k8s.io/pool', Value: 'old' }, { Key: 'win-k8s.io/node-name', Value: 'old-abcde' }];
      const run = await ec2.send(new RunInstancesCommand({ ImageId: WINDOWS_AMIS['Windows_Server-2022-English-Core-Base'], InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: seeded.subnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }));
      const instanceId = run.Instances![0]!.InstanceId!;
      fake.store.put(makeNode({ name: 'old-abcde', os: 'windows', internalIP: '10.0.1.50', labels: { 'win-k8s.io/pool': 'old' } }));
      proxy.clearLog();
      const kubeBefore = fake.requests.length;
      const r = await runCli(['remove', '--pool', 'old', '--dry-run', '--kubeconfig', kubeconfig, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { dryRun: boolean; nodes: { name: string; node: string; instanceId: string | null }[]; poolFirewalls: { pool: string }[] };
      assert.equal(doc.dryRun, true);
      assert.deepEqual(doc.nodes.map((n) => [n.name, n.node, n.instanceId]), [['old-abcde', 'present', instanceId]]);
      assert.deepEqual(doc.poolFirewalls.map((f) => f.pool), ['old']);
      assertOnlyReads();
      const writes = fake.requests.slice(kubeBefore).filter((e) => e.method !== 'GET' && !e.path.includes('selfsubjectaccessreviews'));
      assert.deepEqual(writes.map((e) => `${e.method} ${e.path}`), [], 'no cordon, eviction or delete');
      assert.ok(fake.store.get('nodes', undefined, 'old-abcde'), 'the Node is still there');
      const human = await runCli(['remove', '--pool', 'old', '--dry-run', '--kubeconfig', kubeconfig]);
      assert.match(human.stdout, /would remove old-abcde: drain and delete the Node, delete VM i-/);
      assert.match(human.stdout, /--dry-run: nothing was deleted/);
    } finally {
      ec2.destroy();
    }
  });
});
