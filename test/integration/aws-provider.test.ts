import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { b85decode } from '../fakes/node-agent/script.js';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  ModifySubnetAttributeCommand,
  RunInstancesCommand,
  type EC2Client,
  type _InstanceType,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import {
  LINUX_AMI,
  WINDOWS_AMIS,
  createInstanceProfile,
  motoEc2,
  nodeNameOf,
  runInstancesTagSpecs,
  seedCluster,
  startAwsProxy,
  startMoto,
  type AwsProxy,
  type MotoServer,
  type SeededCluster,
} from '../fakes/moto/index.js';
import { createAwsProvider, type AwsProviderOptions, type AwsTuning } from '../../src/cloud/aws/provider.js';
import { MAX_ATTEMPTS, fullJitterDelay } from '../../src/cloud/aws/retry.js';
import type { CloudProvider, CreateVmsRequest, PoolRef, ResolvedImage, ResolvedPlacement, VmResult } from '../../src/cloud/provider.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';
import { isWinK8sError, type WinK8sError } from '../../src/errors.js';
import { withoutEnv } from '../helpers/process-env.js';
import type { OutputEvent } from '../../src/output/output.js';

/** A kubeadm bootstrap token look-alike: it must never leave the user data. */
const SECRET = 'q7k2zp.h4x9s3cr3tv4lu3z';
const REF: PoolRef = { cluster: 'demo', pool: 'win' };
const FAST: AwsTuning = {
  pollMinMs: 10,
  pollMaxMs: 40,
  runningTimeoutMs: 5_000,
  terminatedTimeoutMs: 5_000,
  pageSize: 5,
  dependencyTimeoutMs: 3_000,
  dependencyRetryMs: 10,
};

function script(node: string): string {
  return [
    `# win-k8s bootstrap for ${node}`,
    "$ErrorActionPreference = 'Stop'",
    `$joinToken = '${SECRET}'`,
    `Write-Output "win-k8s: preflight started ${node}"`,
  ].join('\n');
}

/** Over 16 KB but compressible, like the real bootstrap. */
function largeScript(node: string): string {
  const lines = [script(node)];
  for (let i = 0; lines.join('\n').length < 40_000; i++) lines.push(`Write-Output "win-k8s: step ${i} of phase ${i % 8} on ${node}"`);
  return lines.join('\n');
}

/** Over 16 KB even compressed: random hex does not compress. */
function incompressibleScript(node: string): string {
  const lines = [script(node)];
  for (let i = 0; i < 700; i++) lines.push(`# ${createHash('sha256').update(`${node}-${i}`).digest('hex')}`);
  return lines.join('\n');
}

const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_ENDPOINT_URL',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
] as const;

describe('AWS provider (against moto)', function () {
  // A bound on a hang, not a measure: the first test loads the cloud's SDK, and two test
  // workers share the machine's two cores.
  this.timeout(60_000);

  let moto: MotoServer;
  let proxy: AwsProxy;
  let ec2: EC2Client;
  let cluster: SeededCluster;
  const saved = new Map<string, string | undefined>();
  /** Every event and every failure text of every test, for the secret scan at the end. */
  const events: OutputEvent[] = [];
  const failures: string[] = [];

  before(async function () {
    this.timeout(30_000);
    for (const key of ENV_KEYS) saved.set(key, process.env[key]);
    const nowhere = join(tmpdir(), 'win-k8s-no-such-aws-config');
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_CONFIG_FILE: nowhere,
      AWS_SHARED_CREDENTIALS_FILE: nowhere,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    for (const key of ['AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) delete process.env[key];
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    ec2 = motoEc2(moto.url);
  });

  after(async () => {
    ec2?.destroy();
    await proxy?.stop();
    await moto?.stop();
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.reset();
    cluster = await seedCluster(moto.url);
  });

  function provider(options: Partial<AwsProviderOptions> = {}): CloudProvider {
    return createAwsProvider({
      sink: (e) => events.push(e),
      region: 'us-east-1',
      diskSizeGb: 100,
      edition: 'core',
      endpoint: proxy.url,
      retryStrategy: new ConfiguredRetryStrategy(8, 0),
      tuning: FAST,
      ...options,
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<WinK8sError> {
    try {
      await promise;
    } catch (err) {
      assert.ok(isWinK8sError(err), `expected a WinK8sError, got ${String(err)}`);
      failures.push(err.message, err.hint ?? '', String(err.cause ?? ''));
      return err;
    }
    assert.fail('expected a rejection');
  }

  function record(results: VmResult[]): VmResult[] {
    for (const r of results) if (r.error) failures.push(r.error);
    return results;
  }

  const controlPlane = () => parseProviderId(cluster.providerId);

  async function prepare(p: CloudProvider, windowsVersion: '2019' | '2022' | '2025' = '2022') {
    const image = await p.resolveImage({ windowsVersion, edition: 'full' });
    const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
    const firewall = await p.ensureFirewall(REF, placement);
    return { image, placement, firewall };
  }

  function request(
    prepared: { image: ResolvedImage; placement: ResolvedPlacement; firewall: { id: string; created: boolean } },
    nodes: string[],
    extra: Partial<CreateVmsRequest> = {},
  ): CreateVmsRequest {
    return {
      ref: REF,
      ...prepared,
      vms: nodes.map((nodeName) => ({ nodeName, script: script(nodeName) })),
      concurrency: 2,
      signal: new AbortController().signal,
      ...extra,
    };
  }

  async function instancesTagged(filters: Record<string, string>, states = ['pending', 'running', 'stopping', 'stopped', 'shutting-down']): Promise<Instance[]> {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [...Object.entries(filters).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })), { Name: 'instance-state-name', Values: states }],
      }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  async function userDataOf(instanceId: string): Promise<string> {
    const out = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
    return Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8');
  }

  describe('resolveImage', () => {
    it('takes the public SSM parameter of the Base image, never ContainersLatest (Docker EE, no updates since 2023)', async () => {
      const p = provider();
      const full2022 = await p.resolveImage({ windowsVersion: '2022', edition: 'full' });
      assert.deepEqual(full2022, {
        id: WINDOWS_AMIS['Windows_Server-2022-English-Full-Base'],
        name: 'Windows_Server-2022-English-Full-Base-2025.06.11',
        containersPreinstalled: false,
      });
      const core2019 = await p.resolveImage({ windowsVersion: '2019', edition: 'core' });
      assert.equal(core2019.id, WINDOWS_AMIS['Windows_Server-2019-English-Core-Base']);

      const ssm = proxy.calls('GetParameters');
      assert.ok(ssm.length >= 2 && ssm.every((c) => c.local && c.status === 200));
      assert.deepEqual(ssm[0]!.json?.Names, ['/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base']);
      assert.ok(proxy.calls('DescribeImages').length >= 2, 'the AMI is checked with DescribeImages');
    });

    it('resolves Core and Full apart', async () => {
      const p = provider();
      const core2022 = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.equal(core2022.id, WINDOWS_AMIS['Windows_Server-2022-English-Core-Base']);
      assert.equal(core2022.containersPreinstalled, false);
      const full2025 = await p.resolveImage({ windowsVersion: '2025', edition: 'full' });
      assert.equal(full2025.id, WINDOWS_AMIS['Windows_Server-2025-English-Full-Base']);
      const core2025 = await p.resolveImage({ windowsVersion: '2025', edition: 'core' });
      assert.equal(core2025.id, WINDOWS_AMIS['Windows_Server-2025-English-Core-Base']);
      assert.notEqual(full2025.id, core2025.id);
    });

    it('checks an explicit --image: Windows, existing, of the requested version', async () => {
      const p = provider();
      const ok = await p.resolveImage({ windowsVersion: '2019', edition: 'full', image: WINDOWS_AMIS['Windows_Server-2019-English-Full-Base'] });
      assert.equal(ok.name, 'Windows_Server-2019-English-Full-Base-2025.06.11');
      assert.equal(ok.containersPreinstalled, false);
      assert.equal(proxy.calls('GetParameters').length, 0, 'an explicit image needs no SSM lookup');

      const linux = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'core', image: LINUX_AMI }));
      assert.equal(linux.exitCode, 2);
      assert.match(linux.message, /^--image: AMI ami-\w+ \(al2023-ami-.*\) is not a Windows image/);
      assert.ok(linux.hint);

      const missing = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'ami-0123456789abcdef0' }));
      assert.equal(missing.exitCode, 2);
      assert.match(missing.message, /^--image: AMI ami-0123456789abcdef0 does not exist in us-east-1/);

      const wrongVersion = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'full', image: WINDOWS_AMIS['Windows_Server-2019-English-Full-Base'] }));
      assert.equal(wrongVersion.exitCode, 2);
      assert.match(wrongVersion.message, /is Windows Server 2019, but the pool asks for 2022/);

      const malformed = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'full', image: 'windows-2022' }));
      assert.match(malformed.message, /^--image: "windows-2022" is not an AMI id/);
    });
  });

  describe('resolvePlacement', () => {
    it('places nodes next to the control plane found by its providerID, not into its security groups', async () => {
      const placement = await provider().resolvePlacement({ controlPlane: controlPlane() });
      assert.deepEqual(placement, {
        region: 'us-east-1',
        zone: 'us-east-1a',
        networkId: cluster.vpcId,
        subnetId: cluster.subnetId,
        networkCidr: cluster.vpcCidr,
        extraFirewallIds: [],
        controlPlaneFirewallIds: [cluster.controlPlaneGroupId],
      });
      assert.ok(!events.some((e) => e.level === 'warn' && e.message.includes('from anywhere')), 'nothing is inherited, so nothing to warn about');

      const member = await provider({ controlPlaneGroups: true }).resolvePlacement({ controlPlane: controlPlane() });
      assert.deepEqual(member.extraFirewallIds, [cluster.controlPlaneGroupId], '--aws-control-plane-groups asks for membership');
      assert.ok(
        events.some((e) => e.level === 'warn' && e.message.includes(cluster.controlPlaneGroupId) && e.message.includes('tcp 6443 from anywhere')),
        'joining a group that is open to the internet is pointed out',
      );
    });

    it('uses an explicit subnet, keeping the control plane groups when in the same VPC', async () => {
      const placement = await provider({ subnetId: cluster.otherSubnetId }).resolvePlacement({ controlPlane: controlPlane() });
      assert.equal(placement.subnetId, cluster.otherSubnetId);
      assert.equal(placement.zone, cluster.otherZone);
      assert.equal(placement.networkId, cluster.vpcId);
      assert.equal(placement.networkCidr, cluster.vpcCidr);
      assert.deepEqual(placement.controlPlaneFirewallIds, [cluster.controlPlaneGroupId]);
      assert.deepEqual(placement.extraFirewallIds, []);

      const alone = await provider({ subnetId: cluster.otherSubnetId }).resolvePlacement({});
      assert.deepEqual(alone.extraFirewallIds, []);
      assert.deepEqual(alone.controlPlaneFirewallIds, []);
    });

    it('refuses unknown subnets, instance types and types that cannot run Windows', async () => {
      const subnet = await rejection(provider({ subnetId: 'subnet-0123456789abcdef0' }).resolvePlacement({}));
      assert.equal(subnet.exitCode, 2);
      assert.match(subnet.message, /^--subnet-id: subnet subnet-0123456789abcdef0 does not exist/);

      const type = await rejection(provider({ instanceType: 'm5.huge' }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.equal(type.exitCode, 2);
      assert.match(type.message, /^--instance-type: "m5.huge" is not an EC2 instance type/);

      const arm = await rejection(provider({ instanceType: 'm6g.large' }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.match(arm.message, /^--instance-type: m6g.large is an arm64 type; Windows Server on EC2 runs only on x86_64/);

      const none = await rejection(provider().resolvePlacement({}));
      assert.match(none.message, /^--subnet-id: no subnet/);
    });

    it('takes the region from the control plane, and names --region when there is none', async () => {
      const placement = await provider({ region: undefined }).resolvePlacement({ controlPlane: controlPlane() });
      assert.equal(placement.region, 'us-east-1');
      assert.ok(events.some((e) => e.message === `AWS region us-east-1 (from the control plane), endpoint ${proxy.url}`));

      const err = await rejection(provider({ region: undefined }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^--region: no AWS region/);

      const known = await provider({ region: undefined, controlPlane: controlPlane() }).resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.equal(known.id, WINDOWS_AMIS['Windows_Server-2022-English-Core-Base'], 'a control plane given up front serves resolveImage too');

      await provider({ region: undefined, env: { AWS_DEFAULT_REGION: 'us-east-1' } }).resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.ok(events.some((e) => e.message.startsWith('AWS region us-east-1 (from AWS_DEFAULT_REGION)')));

      const mismatch = await rejection(provider({ region: 'eu-west-1' }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.match(mismatch.message, /^--region: the control plane runs in us-east-1, but the region is eu-west-1 \(from --region\)/);
    });

    it('refuses a region no AWS partition has at once, listing the regions, instead of retrying an endpoint that does not exist', async () => {
      proxy.clearLog();
      const started = Date.now();
      const err = await rejection(provider({ region: 'xx-nowhere-9' }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.ok(Date.now() - started < 2_000, 'no retries');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^--region: "xx-nowhere-9" \(from --region\) is not an AWS region/);
      for (const region of ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1']) assert.ok(err.hint?.includes(region), `${region} in ${err.hint}`);
      assert.equal(proxy.log.length, 0, 'nothing was sent');

      const fromEnv = await rejection(provider({ region: undefined, env: { AWS_REGION: 'EU-WEST-1' } }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.match(fromEnv.message, /^--region: "EU-WEST-1" \(from AWS_REGION\) is not an AWS region/);

      // A name in a partition's pattern may be a region newer than win-k8s: it is tried, with a warning.
      const newer = provider({ region: 'eu-nowhere-9' });
      await newer.listVms({ cluster: 'demo' }).catch(() => undefined);
      assert.ok(events.some((e) => e.level === 'warn' && e.message.includes('eu-nowhere-9') && e.message.includes('not a region win-k8s knows')));
      assert.ok(proxy.log.length > 0);
    });
  });

  describe('--hyperv-isolation (nested virtualization)', () => {
    const launch = (instanceType: string, nested: boolean) =>
      motoEc2(proxy.url).send(
        new RunInstancesCommand({
          ImageId: WINDOWS_AMIS['Windows_Server-2022-English-Full-Base'],
          InstanceType: instanceType as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: cluster.subnetId,
          ...(nested ? { CpuOptions: { NestedVirtualization: 'enabled' as const } } : {}),
        }),
      );

    it('the fake refuses the CPU option on a type whose processor lacks the feature, as EC2 does', async () => {
      await assert.rejects(launch('m5.large', true), (err: Error) => err.name === 'InvalidParameterCombination' && /not supported for instance type m5\.large/.test(err.message));
      await assert.rejects(launch('m5.metal', true), (err: Error) => err.name === 'InvalidParameterCombination', 'bare metal has it without asking, and EC2 takes the option on the 8th generation Intel types only');
      const ok = await launch('m8i.xlarge', true);
      assert.match(ok.Instances?.[0]?.InstanceId ?? '', /^i-/);
    });

    it('refuses a type that cannot run Hyper-V before anything exists, naming types that can', async () => {
      const err = await rejection(provider({ nestedVirtualization: true }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^--instance-type: m5\.large cannot run Hyper-V, which --hyperv-isolation needs: EC2 offers nested virtualization on bare metal types and, of the virtual ones, only on the 8th generation Intel families \(c8i, /);
      assert.match(err.hint ?? '', /m8i\.large, c8i\.large, r8i\.large, m5\.metal/);
      assert.match(err.hint ?? '', /or drop --hyperv-isolation/);

      const big = await rejection(provider({ nestedVirtualization: true, instanceType: 'm8i.96xlarge' }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.match(big.message, /^--instance-type: m8i\.96xlarge has 384 vCPUs; EC2 offers nested virtualization to Windows instances with at most 192/);

      const p = provider({ nestedVirtualization: true });
      const fine = await provider().resolvePlacement({ controlPlane: controlPlane() });
      const firewall = await provider().ensureFirewall(REF, fine);
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'full' });
      proxy.clearLog();
      const direct = await rejection(p.createVms(request({ image, placement: fine, firewall }, ['win-h0001'])));
      assert.equal(direct.exitCode, 2, 'createVms checks the type itself when resolvePlacement did not run on this provider');
      assert.equal(proxy.calls('RunInstances').length, 0);
      assert.equal((await provider().resolvePlacement({ controlPlane: controlPlane() })).subnetId, cluster.subnetId, 'without --hyperv-isolation m5.large is fine');
    });

    it('launches an 8th generation Intel type with nested virtualization asked for, bare metal as it is', async () => {
      for (const [instanceType, nested, expected] of [
        ['m8i.xlarge', true, 'enabled'],
        ['m5.metal', true, null],
        ['m8i.xlarge', false, null],
      ] as const) {
        await moto.reset();
        proxy.reset();
        cluster = await seedCluster(moto.url);
        const p = provider({ nestedVirtualization: nested, instanceType });
        const [vm] = record(await p.createVms(request(await prepare(p), ['win-v0001'])));
        assert.equal(vm!.error, undefined, `${instanceType}: ${vm!.error}`);
        const run = proxy.calls('RunInstances')[0]!;
        assert.equal(run.status, 200);
        assert.equal(run.params.get('CpuOptions.NestedVirtualization'), expected, `${instanceType} with --hyperv-isolation ${nested}`);
      }
    });
  });

  describe('credentials and reachability', () => {
    it('exits 3 without credentials, with a hint', async () => {
      await withoutEnv(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], async () => {
        const err = await rejection(provider().resolveImage({ windowsVersion: '2022', edition: 'core' }));
        assert.equal(err.exitCode, 3);
        assert.equal(err.message, 'no AWS credentials found');
        assert.match(err.hint ?? '', /AWS_PROFILE/);
      });
    });

    it('exits 3 when AWS refuses the credentials or the permission', async () => {
      proxy.fail({ action: 'DescribeSubnets', status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' });
      const auth = await rejection(provider({ subnetId: cluster.subnetId }).resolvePlacement({}));
      assert.equal(auth.exitCode, 3);
      assert.match(auth.message, /AWS rejected the credentials \(AuthFailure\)/);

      const placement = await provider().resolvePlacement({ controlPlane: controlPlane() });
      proxy.fail({ action: 'DescribeSecurityGroups', status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation. Encoded authorization failure message: AbCdEf0123' });
      const denied = await rejection(provider().ensureFirewall(REF, placement));
      assert.equal(denied.exitCode, 3);
      assert.match(denied.message, /not allowed to call ec2:DescribeSecurityGroups in us-east-1 \(UnauthorizedOperation\)/);
      assert.doesNotMatch(denied.message, /AbCdEf0123/);
    });

    it('exits 3 when the endpoint cannot be reached', async () => {
      const err = await rejection(provider({ endpoint: 'http://127.0.0.1:9' }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /^cannot reach the AWS API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
      assert.match(err.hint ?? '', /AWS_ENDPOINT_URL/);
    });
  });

  describe('ensureFirewall', () => {
    const ingress = async (groupId: string) => {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      const group = out.SecurityGroups![0]!;
      const rules = (group.IpPermissions ?? [])
        .flatMap((p) => [
          ...(p.IpRanges ?? []).map((r) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${r.CidrIp}`),
          ...(p.UserIdGroupPairs ?? []).map((g) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${g.GroupId}`),
          ...(p.Ipv6Ranges ?? []).map((r) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${r.CidrIpv6}`),
        ])
        .sort();
      return { group, rules };
    };

    it('opens exactly the node ports to the VPC and the control plane, RDP only when asked, idempotently', async () => {
      const p = provider();
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      const first = await p.ensureFirewall(REF, placement);
      assert.equal(first.created, true);
      const { group, rules } = await ingress(first.id);
      const cp = cluster.controlPlaneGroupId;
      assert.deepEqual(rules, [
        `tcp 10250-10250 ${cluster.vpcCidr}`,
        `tcp 10250-10250 ${cp}`,
        `tcp 10256-10256 ${cluster.vpcCidr}`,
        `tcp 10256-10256 ${cp}`,
        `udp 4789-4789 ${cluster.vpcCidr}`,
        `udp 4789-4789 ${cp}`,
      ]);
      assert.ok(!rules.some((r) => r.includes('0.0.0.0/0') || r.includes('::/0')));
      assert.equal(group.GroupName, 'win-k8s-demo-win');
      assert.equal(group.VpcId, cluster.vpcId);
      const tags = Object.fromEntries((group.Tags ?? []).map((t) => [t.Key, t.Value]));
      assert.equal(tags['win-k8s.io/cluster'], 'demo');
      assert.equal(tags['win-k8s.io/pool'], 'win');

      proxy.clearLog();
      const again = await p.ensureFirewall(REF, placement);
      assert.deepEqual(again, { id: first.id, created: false });
      assert.equal(proxy.calls('AuthorizeSecurityGroupIngress').length + proxy.calls('RevokeSecurityGroupIngress').length + proxy.calls('CreateSecurityGroup').length, 0);

      const withRdp = await provider({ allowRdpFrom: '203.0.113.0/24' }).ensureFirewall(REF, placement);
      assert.equal(withRdp.id, first.id);
      const opened = await ingress(first.id);
      assert.deepEqual(opened.rules.filter((r) => r.includes('3389')), ['tcp 3389-3389 203.0.113.0/24']);
      assert.equal(opened.rules.length, 7);

      await provider({ allowRdpFrom: '2001:db8:1234::/48' }).ensureFirewall(REF, placement);
      assert.deepEqual((await ingress(first.id)).rules.filter((r) => r.includes('3389')), ['tcp 3389-3389 2001:db8:1234::/48']);

      await p.ensureFirewall(REF, placement);
      assert.deepEqual((await ingress(first.id)).rules, rules, 'RDP closes again when no longer asked for');

      const open = await rejection(provider({ allowRdpFrom: '0.0.0.0/0' }).ensureFirewall(REF, placement));
      assert.match(open.message, /^--allow-rdp-from: refusing to open port 3389 to 0\.0\.0\.0\/0/);
      const open6 = await rejection(provider({ allowRdpFrom: '::/0' }).ensureFirewall(REF, placement));
      assert.match(open6.message, /^--allow-rdp-from: refusing to open port 3389 to ::\/0/);
      // The prefix is read as a number: half of IPv4, a zero spelt "00" and a /3 of IPv6 are refused too.
      for (const broad of ['0.0.0.0/1', '0.0.0.0/00', '10.0.0.0/7', '2000::/3']) {
        const err = await rejection(provider({ allowRdpFrom: broad }).ensureFirewall(REF, placement));
        assert.equal(err.exitCode, 2, broad);
        assert.match(err.message, new RegExp(`^--allow-rdp-from: refusing to open port 3389 to ${broad.replace(/[./]/g, '\\$&')}.*broader than /(8|32)`), broad);
      }
      await provider({ allowRdpFrom: '10.0.0.0/8' }).ensureFirewall(REF, placement);
      assert.deepEqual((await ingress(first.id)).rules.filter((r) => r.includes('3389')), ['tcp 3389-3389 10.0.0.0/8'], 'a /8 is still allowed');
    });

    it('admits the pool to the API server and VXLAN with rules on the control plane\'s group, tagged for removal', async () => {
      const cp = cluster.controlPlaneGroupId;
      const before = (await ingress(cp)).rules;
      const p = provider();
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      const { id } = await p.ensureFirewall(REF, placement);
      const after = await ingress(cp);
      assert.deepEqual(after.rules.filter((r) => !before.includes(r)).sort(), [`tcp 6443-6443 ${id}`, `udp 4789-4789 ${id}`], 'exactly TCP 6443 and UDP 4789 (VXLAN) from the pool\'s group');
      assert.equal(after.rules.length, before.length + 2);
      const pairs = after.group.IpPermissions!.flatMap((perm) => perm.UserIdGroupPairs ?? []).filter((g) => g.GroupId === id);
      assert.deepEqual(pairs.map((p) => p.Description).sort(), ['win-k8s: API server for pool win of cluster demo', 'win-k8s: VXLAN (flannel, Calico) for pool win of cluster demo']);
      const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:win-k8s.io/pool', Values: ['win'] }, { Name: 'tag:win-k8s.io/cluster', Values: ['demo'] }] }));
      assert.deepEqual(rules.SecurityGroupRules?.map((r) => [r.GroupId, r.FromPort, r.ReferencedGroupInfo?.GroupId]).sort(), [[cp, 4789, id], [cp, 6443, id]]);

      proxy.clearLog();
      await provider().ensureFirewall(REF, placement);
      assert.equal(proxy.calls('AuthorizeSecurityGroupIngress').length, 0, 'a re-run changes nothing');
      assert.deepEqual((await ingress(cp)).rules, after.rules);
    });

    it('leaves a same-named group that win-k8s did not create alone', async () => {
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'win-k8s-demo-win', Description: 'hand made', VpcId: cluster.vpcId }));
      const p = provider();
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      const err = await rejection(p.ensureFirewall(REF, placement));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /exists but was not created by win-k8s/);
    });
  });

  describe('createVms', () => {
    it('creates tagged, IMDSv2-only instances with an encrypted gp3 root volume and the bootstrap as user data', async () => {
      const profileArn = await createInstanceProfile(moto.url, 'win-k8s-nodes');
      const p = provider({ instanceProfile: 'win-k8s-nodes' });
      const prepared = await prepare(p);
      const results = record(await p.createVms(request(prepared, ['win-a0001', 'win-a0002', 'win-a0003'])));

      assert.deepEqual(results.map((r) => [r.nodeName, r.error]), [['win-a0001', undefined], ['win-a0002', undefined], ['win-a0003', undefined]]);
      for (const r of results) {
        assert.match(r.instanceId ?? '', /^i-[0-9a-f]+$/);
        assert.match(r.privateIp ?? '', /^10\.20\.1\.\d+$/);
        assert.equal(typeof r.provisionSeconds, 'number');
      }

      const instances = await instancesTagged({ 'win-k8s.io/cluster': 'demo', 'win-k8s.io/pool': 'win' });
      assert.equal(instances.length, 3);
      for (const i of instances) {
        const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
        const node = tags['win-k8s.io/node-name']!;
        assert.equal(tags.Name, node);
        assert.equal(i.InstanceId, results.find((r) => r.nodeName === node)?.instanceId);
        assert.equal(i.ImageId, prepared.image.id);
        assert.equal(i.InstanceType, 'm5.large');
        assert.equal(i.SubnetId, cluster.subnetId);
        // The groups sit on the primary interface (moto leaves Instance.SecurityGroups empty then):
        // the pool's own group only, never the control plane's (every port of it, etcd included).
        assert.deepEqual((i.NetworkInterfaces?.[0]?.Groups ?? []).map((g) => g.GroupId), [prepared.firewall.id]);
        assert.equal(i.PublicIpAddress, undefined);
        assert.equal(i.MetadataOptions?.HttpTokens, 'required');
        assert.equal(i.IamInstanceProfile?.Arn, profileArn);
        assert.match(i.ClientToken ?? '', /^win-k8s-[0-9a-f]{56}$/);
        assert.equal(await userDataOf(i.InstanceId!), `<powershell>\n${script(node)}\n</powershell>`);
      }
      assert.equal(new Set(instances.map((i) => i.ClientToken)).size, 3, 'one token per node');

      const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['demo'] }] }));
      assert.equal(volumes.Volumes?.length, 3);
      for (const v of volumes.Volumes ?? []) {
        assert.equal(v.VolumeType, 'gp3');
        assert.equal(v.Encrypted, true);
        assert.equal(v.Size, 100);
        assert.equal(v.Attachments?.[0]?.Device, '/dev/sda1');
        assert.ok(v.Tags?.some((t) => t.Key === 'win-k8s.io/node-name'));
      }

      // moto does not apply network-interface tag specifications; what was sent is checked instead.
      const runs = proxy.calls('RunInstances');
      assert.equal(runs.length, 3);
      for (const run of runs) {
        const specs = runInstancesTagSpecs(run.params);
        assert.deepEqual(specs.map((s) => s.resourceType).sort(), ['instance', 'network-interface', 'volume']);
        const node = nodeNameOf(run)!;
        for (const s of specs) assert.deepEqual(s.tags, { 'win-k8s.io/cluster': 'demo', 'win-k8s.io/pool': 'win', 'win-k8s.io/node-name': node, Name: node });
        assert.equal(run.params.get('MinCount'), '1');
        assert.equal(run.params.get('MaxCount'), '1');
        assert.equal(run.params.get('BlockDeviceMapping.1.Ebs.DeleteOnTermination'), 'true');
      }
    });

    it('gives no node a public IP, even in a subnet that auto-assigns one', async () => {
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: cluster.subnetId, MapPublicIpOnLaunch: { Value: true } }));
      const p = provider();
      const prepared = await prepare(p);
      const results = record(await p.createVms(request(prepared, ['win-p0001'])));
      assert.equal(results[0]!.error, undefined);
      const [instance] = await instancesTagged({ 'win-k8s.io/node-name': 'win-p0001' });
      assert.equal(instance!.SubnetId, cluster.subnetId);
      assert.equal(instance!.PublicIpAddress, undefined, 'no public address');
      const run = proxy.calls('RunInstances').at(-1)!;
      assert.equal(run.params.get('NetworkInterface.1.AssociatePublicIpAddress'), 'false');

      const asked = provider({ publicIp: true });
      record(await asked.createVms(request(await prepare(asked), ['win-p0002'])));
      const [withIp] = await instancesTagged({ 'win-k8s.io/node-name': 'win-p0002' });
      assert.match(withIp!.PublicIpAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/, '--aws-external-ip gives one');
    });

    it('sends a script over 16 KB as the compressed stub, and refuses one that does not fit even then', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const big = largeScript('win-b0001');
      assert.ok(Buffer.byteLength(big) > 16 * 1024);
      const [result] = record(await p.createVms({ ...request(prepared, []), vms: [{ nodeName: 'win-b0001', script: big }] }));
      assert.equal(result?.error, undefined);
      const userData = await userDataOf(result!.instanceId!);
      assert.ok(Buffer.byteLength(userData) <= 16 * 1024);
      assert.match(userData, /^<powershell>\n# win-k8s bootstrap stub/);
      assert.match(userData, /\n<\/powershell>$/);
      const payload = /\$payload = @'\n([\s\S]*?)\n'@/.exec(userData)![1]!.replace(/\s/g, '');
      assert.equal(gunzipSync(b85decode(payload)).toString('utf8'), big);

      proxy.clearLog();
      const err = await rejection(p.createVms({ ...request(prepared, []), vms: [{ nodeName: 'win-b0002', script: incompressibleScript('win-b0002') }] }));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /^the bootstrap for win-b0002 is \d+\.\d KB even compressed; EC2 user data holds at most 16 KB/);
      assert.equal(proxy.calls('RunInstances').length, 0, 'nothing is created');
    });

    it('never creates a second instance for a node: lost responses and re-runs', async () => {
      const p = provider();
      const prepared = await prepare(p);
      // moto launches the instance, the answer is lost, the SDK retries with the same ClientToken.
      proxy.fail({ action: 'RunInstances', afterForward: true, status: 503, code: 'ServiceUnavailable', match: (c) => nodeNameOf(c) === 'win-c0001' });
      const first = record(await p.createVms(request(prepared, ['win-c0001', 'win-c0002'])));
      assert.ok(first.every((r) => !r.error));
      const runs = proxy.calls('RunInstances').filter((c) => nodeNameOf(c) === 'win-c0001');
      assert.equal(runs.length, 2);
      assert.equal(runs[0]!.injected, 'ServiceUnavailable');
      assert.equal(runs[1]!.replayed, true);
      assert.equal(runs[0]!.params.get('ClientToken'), runs[1]!.params.get('ClientToken'));

      const again = record(await p.createVms(request(prepared, ['win-c0001', 'win-c0002'])));
      assert.deepEqual(again.map((r) => r.instanceId), first.map((r) => r.instanceId));
      const instances = await instancesTagged({ 'win-k8s.io/cluster': 'demo' });
      assert.equal(instances.length, 2, 'one instance per node');
      assert.ok(events.some((e) => e.subject === 'win-c0001' && /already exists/.test(e.message)));
    });

    it('retries throttled calls with backoff and reports it', async () => {
      const p = provider();
      const prepared = await prepare(p);
      proxy.fail({ action: 'RunInstances', times: 2, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' });
      proxy.fail({ action: 'DescribeInstances', times: 3, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' });
      const results = record(await p.createVms(request(prepared, ['win-d0001', 'win-d0002', 'win-d0003'])));
      assert.deepEqual(results.map((r) => r.error), [undefined, undefined, undefined]);
      assert.equal((await instancesTagged({ 'win-k8s.io/cluster': 'demo' })).length, 3);

      const throttled = proxy.log.filter((e) => e.injected === 'RequestLimitExceeded');
      assert.equal(throttled.length, 5);
      assert.ok(throttled.every((e) => e.status === 503));
      assert.equal(proxy.calls('RunInstances').filter((e) => e.status === 200).length, 3);
      assert.ok(events.some((e) => e.level === 'warn' && /throttling API calls \(RequestLimitExceeded\)/.test(e.message)));
      assert.ok(events.filter((e) => e.level === 'debug' && /RequestLimitExceeded/.test(e.message)).length >= 5);
    });

    it('reports one VM failing for capacity or quota with what to do, and creates the others', async () => {
      const p = provider();
      const prepared = await prepare(p);
      proxy.fail({
        action: 'RunInstances',
        times: Infinity,
        status: 500,
        code: 'InsufficientInstanceCapacity',
        message: 'We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-1a).',
        match: (c) => nodeNameOf(c) === 'win-e0002',
      });
      proxy.fail({
        action: 'RunInstances',
        status: 400,
        code: 'VcpuLimitExceeded',
        message: 'You have requested more vCPU capacity than your current vCPU limit of 32 allows.',
        match: (c) => nodeNameOf(c) === 'win-e0003',
      });
      const results = record(await p.createVms(request(prepared, ['win-e0001', 'win-e0002', 'win-e0003', 'win-e0004'])));
      assert.equal(results[0]!.error, undefined);
      assert.equal(results[3]!.error, undefined);
      assert.match(results[1]!.error ?? '', /no m5\.large capacity in us-east-1a right now \(InsufficientInstanceCapacity\)\. Try another instance type \(--instance-type\), a subnet in another zone \(--subnet-id\)/);
      assert.equal(results[1]!.instanceId, undefined);
      assert.match(results[2]!.error ?? '', /VcpuLimitExceeded.*Request an increase of "Running On-Demand Standard \(A, C, D, H, I, M, R, T, Z\) instances \(quota code L-1216C47A\)"/);
      const instances = await instancesTagged({ 'win-k8s.io/cluster': 'demo' });
      assert.deepEqual(instances.map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value).sort(), ['win-e0001', 'win-e0004']);
    });

    it('stops starting VMs once AWS denies the launch, and when the signal aborts', async () => {
      const p = provider();
      const prepared = await prepare(p);
      proxy.fail({ action: 'RunInstances', status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
      const denied = record(await p.createVms(request(prepared, ['win-f0001', 'win-f0002', 'win-f0003'], { concurrency: 1 })));
      assert.match(denied[0]!.error ?? '', /not allowed to call ec2:RunInstances/);
      assert.match(denied[1]!.error ?? '', /^not started: not allowed to call ec2:RunInstances/);
      assert.match(denied[2]!.error ?? '', /^not started:/);
      assert.equal(proxy.calls('RunInstances').length, 1);

      const controller = new AbortController();
      controller.abort();
      proxy.clearLog();
      const aborted = record(await p.createVms(request(prepared, ['win-f0004', 'win-f0005'], { signal: controller.signal })));
      assert.deepEqual(aborted.map((r) => r.error), ['not started: interrupted', 'not started: interrupted']);
      assert.equal(proxy.calls('RunInstances').length, 0);
    });
  });

  describe('listVms, deleteVms, deletePoolResources, consoleOutput', () => {
    it('lists by tags across pages, deletes, and leaves nothing tagged behind', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const nodes = Array.from({ length: 7 }, (_, i) => `win-g000${i}`);
      const created = record(await p.createVms(request(prepared, nodes, { concurrency: 4 })));
      assert.ok(created.every((r) => !r.error));
      const other = await p.ensureFirewall({ cluster: 'demo', pool: 'gpu' }, prepared.placement);
      record(await p.createVms({ ...request({ ...prepared, firewall: other }, ['gpu-h0001']), ref: { cluster: 'demo', pool: 'gpu' } }));

      proxy.clearLog();
      const listed = await p.listVms(REF);
      assert.deepEqual(listed.map((v) => v.nodeName), nodes);
      assert.ok(listed.every((v) => v.cluster === 'demo' && v.pool === 'win' && v.state === 'running' && /^10\.20\.1\./.test(v.privateIp ?? '')));
      assert.ok(proxy.calls('DescribeInstances').length >= 2, 'paginated (page size 5)');
      assert.equal((await p.listVms({ cluster: 'demo' })).length, 8);
      assert.deepEqual((await p.listVms({ cluster: 'other' })), []);

      const console = await p.consoleOutput(listed[0]!.instanceId);
      assert.match(console, /Linux version/, 'moto serves a fixed sample console text');
      const missing = await rejection(p.consoleOutput('i-0123456789abcdef0'));
      assert.match(missing.message, /instance i-0123456789abcdef0 does not exist/);

      assert.deepEqual(await p.deletePoolResources(REF), [], 'the group stays while instances are left');
      const refused = await rejection(p.deleteVms([cluster.controlPlaneInstanceId]));
      assert.match(refused.message, /refusing to terminate i-\w+: not created by win-k8s/);

      await p.deleteVms(listed.map((v) => v.instanceId));
      assert.deepEqual(await p.listVms(REF), []);
      assert.equal((await instancesTagged({}, ['running'])).length, 2, 'the control plane and the other pool are untouched');

      // ENIs of terminated instances detach a while later: the group is busy until then.
      const cpRulesBefore = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [cluster.controlPlaneGroupId] }))).SecurityGroups![0]!.IpPermissions;
      assert.ok(JSON.stringify(cpRulesBefore).includes(prepared.firewall.id), 'the control plane admits the pool');
      proxy.clearLog();
      proxy.fail({ action: 'DeleteSecurityGroup', times: 2, status: 400, code: 'DependencyViolation', message: `resource ${prepared.firewall.id} has a dependent object` });
      assert.deepEqual(await p.deletePoolResources(REF), [prepared.firewall.id]);
      assert.equal(proxy.calls('DeleteSecurityGroup').length, 3);
      assert.ok(proxy.calls('RevokeSecurityGroupIngress')[0]!.seq < proxy.calls('DeleteSecurityGroup')[0]!.seq, 'the control plane\'s rule goes first');
      const cpGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [cluster.controlPlaneGroupId] }))).SecurityGroups![0]!;
      assert.ok(!JSON.stringify(cpGroup.IpPermissions).includes(prepared.firewall.id), 'no rule on the control plane refers to the deleted group');
      assert.ok(JSON.stringify(cpGroup.IpPermissions).includes('0.0.0.0/0'), 'the control plane keeps its own rules');
      const otherRule = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:win-k8s.io/pool', Values: ['gpu'] }] }));
      assert.equal(otherRule.SecurityGroupRules?.length, 2, 'the other pool keeps its rules (API server, VXLAN)');
      const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:win-k8s.io/pool', Values: ['win'] }] }));
      assert.deepEqual(groups.SecurityGroups, []);
      assert.deepEqual(await instancesTagged({ 'win-k8s.io/pool': 'win' }), []);
      const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:win-k8s.io/pool', Values: ['win'] }] }));
      assert.deepEqual(volumes.Volumes, [], 'root volumes go with their instances (DeleteOnTermination)');
      assert.deepEqual(await p.deletePoolResources(REF), [], 'a second run finds nothing to delete');

      await p.deleteVms([]);
      await p.deleteVms(listed.map((v) => v.instanceId)); // already terminated: nothing to do
    });

    it('refuses, as EC2 does, to delete a group another group still refers to, and names it', async () => {
      const p = provider({ tuning: { ...FAST, dependencyTimeoutMs: 50 } });
      const prepared = await prepare(p);
      // Someone else's rule: win-k8s does not revoke what it did not add.
      const theirs = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'monitoring', Description: 'scrapes the nodes', VpcId: cluster.vpcId }));
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: theirs.GroupId!,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9100, ToPort: 9100, UserIdGroupPairs: [{ GroupId: prepared.firewall.id, Description: 'node exporter' }] }],
        }),
      );
      const err = await rejection(p.deletePoolResources(REF));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, new RegExp(`security group ${prepared.firewall.id} is still in use`));
      assert.match(err.hint ?? '', new RegExp(`rules of ${theirs.GroupId} refer to it`));
      assert.equal(proxy.calls('DeleteSecurityGroup').at(-1)!.injected, 'DependencyViolation');
      const cp = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [cluster.controlPlaneGroupId] }))).SecurityGroups![0]!;
      assert.ok(!JSON.stringify(cp.IpPermissions).includes(prepared.firewall.id), 'its own rule on the control plane is gone all the same');
      const left = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [theirs.GroupId!] }))).SecurityGroups![0]!;
      assert.ok(JSON.stringify(left.IpPermissions).includes(prepared.firewall.id), 'someone else\'s rule stays');
    });

    it('puts nodes into the control plane\'s groups only with --aws-control-plane-groups', async () => {
      const p = provider({ controlPlaneGroups: true });
      const prepared = await prepare(p);
      const [vm] = record(await p.createVms(request(prepared, ['win-m0001'])));
      const [i] = await instancesTagged({ 'win-k8s.io/node-name': 'win-m0001' });
      assert.equal(i?.InstanceId, vm!.instanceId);
      assert.deepEqual((i!.NetworkInterfaces?.[0]?.Groups ?? []).map((g) => g.GroupId).sort(), [prepared.firewall.id, cluster.controlPlaneGroupId].sort());
    });

    it('reports a group that stays busy with a hint', async () => {
      const p = provider({ tuning: { ...FAST, dependencyTimeoutMs: 50 } });
      const prepared = await prepare(p);
      proxy.fail({ action: 'DeleteSecurityGroup', times: Infinity, status: 400, code: 'DependencyViolation', message: 'resource has a dependent object' });
      const err = await rejection(p.deletePoolResources(REF));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, new RegExp(`security group ${prepared.firewall.id} is still in use`));
      assert.match(err.hint ?? '', /describe-network-interfaces/);
    });
  });

  describe('runPowerShell (SSM Run Command)', () => {
    it('keeps executionTimeout within SSM\'s maximum of 172800 s', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const [vm] = record(await p.createVms(request(prepared, ['win-s0001'])));
      const long = await p.runPowerShell!(vm!.instanceId!, "Write-Output 'x'", { timeoutMs: 72 * 3600_000 });
      const sent = proxy.calls('SendCommand').at(-1)!;
      assert.equal(sent.status, 200, 'SSM accepted the command');
      assert.deepEqual((sent.json?.Parameters as { executionTimeout: string[] }).executionTimeout, ['172800']);
      assert.equal(long.exitCode, 0);
    });
  });

  describe('harness and retry policy', () => {
    it('fails clearly when moto_server is missing, and stops moto by its PID', async () => {
      await assert.rejects(startMoto({ binary: 'win-k8s-no-such-moto_server' }), { message: "moto_server not found: pip install 'moto[server]'" });
      const second = await startMoto();
      process.kill(second.pid, 0);
      await second.stop();
      assert.throws(() => process.kill(second.pid, 0), { code: 'ESRCH' });
    });

    it('backs off with full jitter, capped, in production', async () => {
      assert.equal(fullJitterDelay(1, () => 0), 0);
      assert.equal(fullJitterDelay(1, () => 0.999), 999);
      assert.equal(fullJitterDelay(3, () => 0.5), 2000);
      assert.equal(fullJitterDelay(12, () => 0.999), 19_980);
      assert.equal(MAX_ATTEMPTS, 8);
      // Without an injected strategy the provider runs on the production one.
      const image = await provider({ retryStrategy: undefined }).resolveImage({ windowsVersion: '2019', edition: 'full' });
      assert.equal(image.id, WINDOWS_AMIS['Windows_Server-2019-English-Full-Base']);
    });
  });

  // Last: it scans what every test above produced.
  describe('secrets', () => {
    it('scrubs a token that an AWS error message echoes', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const blob = Buffer.from(`<powershell>\n${script('win-s0001')}\n</powershell>`).toString('base64');
      proxy.fail({ action: 'RunInstances', status: 400, code: 'InvalidParameterValue', message: `Invalid user data ${blob} near '${SECRET}'` });
      const [result] = record(await p.createVms(request(prepared, ['win-s0001'])));
      assert.match(result?.error ?? '', /^ec2:RunInstances failed in us-east-1: InvalidParameterValue: Invalid user data <redacted> near '<redacted>'/);
      // The scan below means something only because the token does travel, in the user data.
      const sent = Buffer.from(proxy.calls('RunInstances')[0]?.params.get('UserData') ?? '', 'base64').toString('utf8');
      assert.ok(sent.includes(SECRET));
    });

    it('never puts the bootstrap token into an event or an error', () => {
      assert.ok(events.length > 50, `the scan saw ${events.length} events`);
      assert.ok(failures.length > 10, `the scan saw ${failures.length} failure texts`);
      const secretPart = SECRET.split('.')[1]!;
      for (const e of events) {
        assert.ok(!e.message.includes(secretPart) && !(e.subject ?? '').includes(secretPart), `event leaks the token: ${e.message}`);
      }
      for (const text of failures) assert.ok(!text.includes(secretPart), `error leaks the token: ${text}`);
    });
  });
});
