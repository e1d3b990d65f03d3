import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ProtoMismatch,
  assertMatchesProto,
  readBootstrapScript,
  SERIAL_BUFFER_BYTES,
  startGceFake,
  writeSerial,
  type GceFake,
  type GceFakeSeed,
} from '../fakes/gce/index.js';
import { anonymousAuthClient, createGcpProvider, type GcpProviderOptions } from '../../src/cloud/gcp/provider.js';
import type { CloudProvider, CreateVmsRequest, PoolRef, ResolvedImage, ResolvedPlacement, VmResult } from '../../src/cloud/provider.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';
import { isWinK8sError, type WinK8sError } from '../../src/errors.js';
import type { OutputEvent } from '../../src/output/output.js';

/** A kubeadm bootstrap token look-alike: it must never leave the metadata. */
const SECRET = 'q7k2zp.h4x9s3cr3tv4lu3z';
const REF: PoolRef = { cluster: 'demo', pool: 'win' };
const PROJECT = 'demo-proj';
const ZONE = 'europe-west1-b';
const CP_PROVIDER_ID = `gce://${PROJECT}/${ZONE}/cp-1`;
const NODES_SUBNET = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/europe-west1/subnetworks/nodes`;
const K8S_NETWORK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/k8s`;

const SEED: GceFakeSeed = {
  project: PROJECT,
  zones: { [ZONE]: ['n2-standard-4', 'n2-standard-8', 'e2-standard-2'], 'europe-west1-c': ['e2-standard-2'] },
  images: [
    { project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20250101', family: 'windows-2022-core', diskSizeGb: 50, windows: true },
    { project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20260101', family: 'windows-2022-core', diskSizeGb: 50, windows: true },
    { project: 'windows-cloud', name: 'windows-server-2022-dc-v20260101', family: 'windows-2022', diskSizeGb: 50, windows: true },
    { project: 'windows-cloud', name: 'windows-server-2019-dc-core-v20260101', family: 'windows-2019-core', diskSizeGb: 32, windows: true },
    { project: 'windows-cloud', name: 'windows-server-2025-dc-v20260101', family: 'windows-2025', diskSizeGb: 50, windows: true },
    { project: 'debian-cloud', name: 'debian-12-bookworm-v20260101', family: 'debian-12', diskSizeGb: 10, windows: false },
  ],
  networks: [
    { name: 'k8s', subnetworks: [{ name: 'nodes', region: 'europe-west1', ipCidrRange: '10.20.0.0/20' }] },
    { name: 'admin', subnetworks: [{ name: 'admin-west', region: 'europe-west1', ipCidrRange: '10.99.0.0/24' }] },
  ],
  instances: [{ name: 'cp-1', zone: ZONE, subnetwork: `projects/${PROJECT}/regions/europe-west1/subnetworks/nodes`, networkIP: '10.20.0.2' }],
};

function script(node: string): string {
  return ["$ErrorActionPreference = 'Stop'", `$joinToken = '${SECRET}'`, `Write-Output "win-k8s: preflight started ${node}"`].join('\n');
}

/** Over 256 KB but compressible, like a bootstrap carrying large manifests. */
function largeScript(node: string): string {
  const lines = [script(node)];
  let length = lines[0]!.length;
  for (let i = 0; length < 300_000; i++) {
    const line = `Write-Output "win-k8s: step ${i} of phase ${i % 8} on ${node}"`;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

/** Over 256 KB even compressed: hashes do not compress. */
function incompressibleScript(node: string): string {
  const lines = [script(node)];
  for (let i = 0; i < 9000; i++) lines.push(`# ${createHash('sha256').update(`${node}-${i}`).digest('base64')}`);
  return lines.join('\n');
}


describe('GCP provider (against the fake Compute API)', function () {
  // A bound on a hang, not a measure: the first test loads the cloud's SDK, and two test
  // workers share the machine's two cores.
  this.timeout(60_000);

  let fake: GceFake;
  const providers: Array<{ close(): Promise<void> }> = [];
  const events: OutputEvent[] = [];
  const failures: string[] = [];

  before(async () => {
    fake = await startGceFake(SEED);
  });
  after(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await fake?.stop();
  });
  beforeEach(() => fake.reset(SEED));
  afterEach(function () {
    // Every response the fake sent must have matched the proto types, whatever the test checked.
    if (this.currentTest?.state !== 'failed') assert.deepEqual(fake.violations, []);
  });

  function provider(options: Partial<GcpProviderOptions> = {}): CloudProvider {
    const p = createGcpProvider({
      sink: (e) => events.push(e),
      project: PROJECT,
      zone: ZONE,
      diskSizeGb: 100,
      edition: 'core',
      authClient: anonymousAuthClient(),
      apiEndpoint: '127.0.0.1',
      port: fake.port,
      protocol: 'http',
      env: {},
      tuning: { baseDelayMs: 0, pollMs: 0, operationTimeoutMs: 5_000 },
      ...options,
    });
    providers.push(p);
    return p;
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

  const controlPlane = () => parseProviderId(CP_PROVIDER_ID);

  async function prepare(p: CloudProvider) {
    const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
    const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
    const firewall = await p.ensureFirewall(REF, placement);
    return { image, placement, firewall };
  }

  function request(prepared: { image: ResolvedImage; placement: ResolvedPlacement; firewall: { id: string; created: boolean } }, nodes: string[], extra: Partial<CreateVmsRequest> = {}): CreateVmsRequest {
    return { ref: REF, ...prepared, vms: nodes.map((nodeName) => ({ nodeName, script: script(nodeName) })), concurrency: 3, signal: new AbortController().signal, ...extra };
  }

  const inserts = () => fake.requests.filter((r) => r.method === 'POST' && /\/instances\?/.test(r.path));

  describe('resolveImage', () => {
    it('takes the newest image of windows-<version>-core or windows-<version> in windows-cloud', async () => {
      const p = provider();
      const core = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.equal(core.name, 'windows-server-2022-dc-core-v20260101');
      assert.equal(core.id, 'https://www.googleapis.com/compute/v1/projects/windows-cloud/global/images/windows-server-2022-dc-core-v20260101');
      assert.equal(core.containersPreinstalled, false);
      const full = await p.resolveImage({ windowsVersion: '2022', edition: 'full' });
      assert.equal(full.name, 'windows-server-2022-dc-v20260101');
      assert.ok(fake.requests.some((r) => r.path.startsWith('/compute/v1/projects/windows-cloud/global/images/family/windows-2022-core')));
      assert.ok(fake.requests.some((r) => r.path.startsWith('/compute/v1/projects/windows-cloud/global/images/family/windows-2022?')));
      assert.equal((await p.resolveImage({ windowsVersion: '2025', edition: 'full' })).name, 'windows-server-2025-dc-v20260101');
    });

    it('uses --image as given (image or family path) and refuses a non-Windows or missing image', async () => {
      const p = provider();
      assert.equal((await p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'projects/windows-cloud/global/images/windows-server-2022-dc-core-v20250101' })).name, 'windows-server-2022-dc-core-v20250101');
      assert.equal((await p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'https://www.googleapis.com/compute/v1/projects/windows-cloud/global/images/family/windows-2019-core' })).name, 'windows-server-2019-dc-core-v20260101');
      const linux = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'projects/debian-cloud/global/images/debian-12-bookworm-v20260101' }));
      assert.equal(linux.exitCode, 2);
      assert.match(linux.message, /^--image: .*not a Windows image/);
      const missing = await rejection(p.resolveImage({ windowsVersion: '2025', edition: 'core' }));
      assert.equal(missing.exitCode, 2);
      assert.match(missing.message, /windows-2025-core/);
      const bad = await rejection(p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'ami-0123' }));
      assert.match(bad.message, /^--image:/);
    });
  });

  describe('resolvePlacement', () => {
    it('follows the control plane providerID to its subnetwork and checks the machine type in the zone', async () => {
      const p = provider({ project: undefined, zone: undefined });
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      assert.deepEqual(placement, { region: 'europe-west1', zone: ZONE, networkId: K8S_NETWORK, subnetId: NODES_SUBNET, networkCidr: '10.20.0.0/20', extraFirewallIds: [] });
      assert.ok(fake.requests.some((r) => r.path.startsWith(`/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/cp-1?`)));
      assert.ok(fake.requests.some((r) => r.path.startsWith(`/compute/v1/projects/${PROJECT}/zones/${ZONE}/machineTypes/n2-standard-4?`)));
    });

    it('uses --subnet-id (a subnetwork), and project and zone from the environment', async () => {
      const p = provider({ project: undefined, zone: undefined, env: { CLOUDSDK_CORE_PROJECT: PROJECT, CLOUDSDK_COMPUTE_ZONE: ZONE }, subnetwork: `projects/${PROJECT}/regions/europe-west1/subnetworks/admin-west` });
      const placement = await p.resolvePlacement({});
      assert.equal(placement.networkCidr, '10.99.0.0/24');
      assert.match(placement.networkId, /\/global\/networks\/admin$/);
      assert.equal((await provider({ subnetwork: 'nodes' }).resolvePlacement({})).subnetId, NODES_SUBNET);
    });

    it('names the flag at fault: machine type, missing project or zone, subnetwork', async () => {
      const mt = await rejection(provider({ machineType: 'n2-standard-4', zone: 'europe-west1-c', subnetwork: 'nodes' }).resolvePlacement({}));
      assert.equal(mt.exitCode, 2);
      assert.match(mt.message, /^--instance-type: machine type n2-standard-4 is not offered in europe-west1-c/);
      const noProject = await rejection(provider({ project: undefined }).resolvePlacement({}));
      assert.match(noProject.message, /^--project:/);
      const noZone = await rejection(provider({ zone: undefined }).resolvePlacement({}));
      assert.match(noZone.message, /^--zone:/);
      const noSubnet = await rejection(provider().resolvePlacement({}));
      assert.match(noSubnet.message, /^--subnet-id:/);
      const otherRegion = await rejection(provider({ zone: 'us-central1-a' }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.match(otherRegion.message, /^--zone: subnetwork nodes is in europe-west1/);
      const missing = await rejection(provider({ subnetwork: 'nope' }).resolvePlacement({}));
      assert.match(missing.message, /^--subnet-id: no subnetwork nope/);
    });
  });

  describe('wizardChoices', () => {
    it('offers the region\'s subnetworks (the cluster\'s network first) and the zone\'s machine types (the default first)', async () => {
      const p = provider({ project: undefined, zone: undefined });
      const choices = await p.wizardChoices!({ controlPlane: controlPlane() });
      assert.deepEqual(choices.subnets.map((n) => [n.id.split('/').pop(), n.cidr, n.zone]), [['nodes', '10.20.0.0/20', ZONE], ['admin-west', '10.99.0.0/24', ZONE]]);
      assert.deepEqual(choices.instanceTypes, ['n2-standard-4', 'e2-standard-2', 'n2-standard-8']);
    });
  });

  describe('ensureFirewall', () => {
    it('creates exactly the node-port rule from the subnetwork range to the pool tag, and is idempotent', async () => {
      const p = provider();
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      assert.deepEqual(await p.ensureFirewall(REF, placement), { id: 'win-k8s-demo-win', created: true });
      assert.deepEqual([...fake.firewalls.keys()], ['win-k8s-demo-win']);
      const fw = fake.firewalls.get('win-k8s-demo-win')!;
      assert.deepEqual(fw.sourceRanges, ['10.20.0.0/20']);
      assert.deepEqual(fw.targetTags, ['win-k8s-demo-win']);
      assert.equal(fw.direction, 'INGRESS');
      assert.equal(fw.network, K8S_NETWORK);
      assert.deepEqual(fw.allowed, [
        { IPProtocol: 'tcp', ports: ['10250', '10256'] },
        { IPProtocol: 'udp', ports: ['4789'] },
      ]);
      const before = fake.requests.length;
      assert.deepEqual(await p.ensureFirewall(REF, placement), { id: 'win-k8s-demo-win', created: false });
      assert.deepEqual(fake.requests.slice(before).map((r) => r.method), ['GET', 'GET'], 'a re-run only reads');
    });

    it('with --subnet-id elsewhere, also opens node ports to the control plane\'s subnetwork and its secondary ranges, and widens an older rule', async () => {
      const k8s = SEED.networks[0]!;
      fake.reset({
        ...SEED,
        networks: [
          { name: 'k8s', subnetworks: [{ ...k8s.subnetworks[0]!, secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.64.0.0/14' }] }, { name: 'nodes-b', region: 'europe-west1', ipCidrRange: '10.30.0.0/24' }] },
          ...SEED.networks.slice(1),
        ],
      });
      // The rule as an earlier win-k8s left it: the node subnetwork's range only.
      fake.firewalls.set('win-k8s-demo-win', {
        name: 'win-k8s-demo-win',
        description: 'win-k8s: node ports of pool win in cluster demo',
        network: K8S_NETWORK,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: ['10.30.0.0/24'],
        targetTags: ['win-k8s-demo-win'],
        allowed: [
          { IPProtocol: 'tcp', ports: ['10250', '10256'] },
          { IPProtocol: 'udp', ports: ['4789'] },
        ],
      });
      const p = provider({ subnetwork: 'nodes-b' });
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      assert.match(placement.subnetId, /\/subnetworks\/nodes-b$/);
      assert.deepEqual(await p.ensureFirewall(REF, placement), { id: 'win-k8s-demo-win', created: false });
      assert.deepEqual(fake.firewalls.get('win-k8s-demo-win')!.sourceRanges, ['10.30.0.0/24', '10.20.0.0/20', '10.64.0.0/14']);
      assert.ok(fake.requests.some((r) => r.method === 'PUT' && r.path.includes('/global/firewalls/win-k8s-demo-win')), 'the existing rule was updated');
      assert.ok(events.some((e) => e.level === 'info' && /^updated firewall rule win-k8s-demo-win: .* from 10\.30\.0\.0\/24, 10\.20\.0\.0\/20, 10\.64\.0\.0\/14/.test(e.message)));

      // The control plane's own subnetwork, named or not: each range once.
      for (const subnetwork of [undefined, 'nodes']) {
        const same = await provider({ subnetwork }).resolvePlacement({ controlPlane: controlPlane() });
        assert.equal(same.networkCidr, '10.20.0.0/20,10.64.0.0/14');
      }

      // A control plane instance that is gone does not block a join into a named subnetwork.
      const gone = await provider({ subnetwork: 'nodes-b' }).resolvePlacement({ controlPlane: parseProviderId(`gce://${PROJECT}/${ZONE}/cp-gone`) });
      assert.equal(gone.networkCidr, '10.30.0.0/24');
      assert.ok(events.some((e) => e.level === 'warn' && /control plane instance cp-gone .* --subnet-id subnetwork only/.test(e.message)));
    });

    it('leaves alone a same-named rule win-k8s did not create', async () => {
      const placement = await provider().resolvePlacement({ controlPlane: controlPlane() });
      fake.firewalls.set('win-k8s-demo-win', { name: 'win-k8s-demo-win', description: 'hand-made', network: K8S_NETWORK, sourceRanges: ['10.0.0.0/8'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
      const err = await rejection(provider().ensureFirewall(REF, placement));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /not created by win-k8s/);
      assert.deepEqual(await provider().deletePoolResources(REF), []);
      assert.ok(fake.firewalls.has('win-k8s-demo-win'));
    });

    it('opens RDP only from --allow-rdp-from, closes it when no longer asked, and never to 0.0.0.0/0', async () => {
      const placement = await provider().resolvePlacement({ controlPlane: controlPlane() });
      await provider({ allowRdpFrom: '203.0.113.0/24' }).ensureFirewall(REF, placement);
      const rdp = fake.firewalls.get('win-k8s-demo-win-rdp')!;
      assert.deepEqual(rdp.sourceRanges, ['203.0.113.0/24']);
      assert.deepEqual(rdp.allowed, [{ IPProtocol: 'tcp', ports: ['3389'] }]);
      assert.deepEqual(rdp.targetTags, ['win-k8s-demo-win']);
      await provider().ensureFirewall(REF, placement);
      assert.deepEqual([...fake.firewalls.keys()], ['win-k8s-demo-win']);
      const open = await rejection(provider({ allowRdpFrom: '0.0.0.0/0' }).ensureFirewall(REF, placement));
      // Parsed, not a string check: half of IPv4 and a padded prefix are refused too, naming the flag.
      for (const wide of ['0.0.0.0/1', '0.0.0.0/00', '10.0.0.0/7', '2000::/3']) {
        const e = await rejection(provider({ allowRdpFrom: wide }).ensureFirewall(REF, placement));
        assert.equal(e.exitCode, 2, wide);
        assert.match(e.message, /--allow-rdp-from|broader than/, wide);
      }
      assert.match(open.message, /^--allow-rdp-from: refusing/);
      // A changed range is updated in place.
      await provider().ensureFirewall(REF, { ...placement, networkCidr: '10.20.0.0/16' });
      assert.deepEqual(fake.firewalls.get('win-k8s-demo-win')!.sourceRanges, ['10.20.0.0/16']);
      assert.ok(fake.requests.some((r) => r.method === 'PUT'));
    });
  });

  describe('operation errors outside createVms', () => {
    it('turns an error inside the DONE firewall operation into an exit-1 error', async () => {
      const p = provider();
      const placement = await p.resolvePlacement({ controlPlane: controlPlane() });
      fake.faults.operationError('win-k8s-demo-win', 'QUOTA_EXCEEDED', "Quota 'FIREWALLS' exceeded.  Limit: 200.0 globally.");
      const err = await rejection(p.ensureFirewall(REF, placement));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /compute\.firewalls\.insert failed: quota exceeded \(Quota 'FIREWALLS'/);
      assert.deepEqual([...fake.firewalls.keys()], []);
    });
  });

  describe('createVms', () => {
    it('does not take over a same-named instance that win-k8s did not create', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const [r] = record(await p.createVms(request(prepared, ['cp-1'])));
      assert.match(r!.error ?? '', /already exists .* not a win-k8s node/);
      assert.equal(inserts().length, 0);
    });

    it('creates three labelled Shielded VMs without external IPs, the script in windows-startup-script-ps1', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b', 'win-c'])));
      assert.deepEqual(results.map((r) => [r.nodeName, r.instanceId, r.error]), [['win-a', 'win-a', undefined], ['win-b', 'win-b', undefined], ['win-c', 'win-c', undefined]]);
      for (const r of results) assert.match(r.privateIp ?? '', /^10\.20\.0\.\d+$/);
      for (const node of ['win-a', 'win-b', 'win-c']) {
        const i = fake.instances.get(`${ZONE}/${node}`)!;
        assert.equal(i.status, 'RUNNING');
        assert.deepEqual(i.labels, { 'win-k8s-cluster': 'demo', 'win-k8s-pool': 'win', 'win-k8s-node-name': node });
        assert.deepEqual(i.shieldedInstanceConfig, { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
        assert.deepEqual(i.tags, { items: ['win-k8s-demo-win'] });
        assert.match(String(i.machineType), /\/zones\/europe-west1-b\/machineTypes\/n2-standard-4$/);
        const nic = (i.networkInterfaces as Array<Record<string, unknown>>)[0]!;
        // The SDK leaves empty lists out of the request: no accessConfigs at all means no external IP.
        assert.deepEqual(nic.accessConfigs ?? [], [], 'no external IP');
        const disk = (i.disks as Array<{ initializeParams: Record<string, unknown> }>)[0]!;
        assert.equal(disk.initializeParams.diskSizeGb, '100');
        assert.match(String(disk.initializeParams.diskType), /diskTypes\/pd-balanced$/);
        assert.equal(disk.initializeParams.sourceImage, prepared.image.id);
        assert.deepEqual(readBootstrapScript(fake, ZONE, node), { script: script(node), compressed: false });
      }
      // Every insert carried a requestId, so a retried insert cannot create a second VM.
      assert.ok(inserts().every((r) => /requestId=[0-9a-f-]{36}/.test(r.path)));
      // Re-running finds the instances instead of creating more.
      const again = record(await p.createVms(request(prepared, ['win-a'])));
      assert.equal(again[0]!.instanceId, 'win-a');
      assert.equal(inserts().length, 3);
    });

    it('reports a stopped (TERMINATED) instance of the node instead of creating another, and lists it as stopped', async () => {
      const p = provider();
      const prepared = await prepare(p);
      record(await p.createVms(request(prepared, ['win-a'])));
      fake.instances.get(`${ZONE}/win-a`)!.status = 'TERMINATED';
      const [r] = record(await p.createVms(request(prepared, ['win-a'])));
      assert.match(r!.error ?? '', /already exists and is stopped .*Start it/);
      assert.deepEqual((await p.listVms(REF)).map((v) => v.state), ['stopped']);
      assert.equal(inserts().length, 1);
    });

    it('stops starting VMs once one fails for the environment (API unreachable)', async () => {
      const p = provider({ port: 1, tuning: { baseDelayMs: 0, pollMs: 0, maxAttempts: 1 } });
      const prepared = await prepare(provider());
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b', 'win-c'], { concurrency: 1 })));
      assert.match(results[0]!.error ?? '', /cannot reach the Compute Engine API at http:\/\/127\.0\.0\.1:1/);
      assert.match(results[2]!.error ?? '', /^not started: cannot reach/);
    });

    it('adds an external IP only when asked', async () => {
      const p = provider({ externalIp: true });
      record(await p.createVms(request(await prepare(p), ['win-x'])));
      const nic = (fake.instances.get(`${ZONE}/win-x`)!.networkInterfaces as Array<Record<string, unknown>>)[0]!;
      assert.deepEqual(nic.accessConfigs, [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }]);
    });

    it('sends a script over 256 KB as the compressed stub, and refuses one that does not fit even then', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const big = largeScript('win-big');
      const [created] = record(await p.createVms({ ...request(prepared, []), vms: [{ nodeName: 'win-big', script: big }] }));
      assert.equal(created!.error, undefined);
      // Once seen in CI as a TypeError on `read`: when this test outlived its timeout (the script
      // used to be built in quadratic time), mocha reset the fake for the next test while this
      // body still ran, and the insert's operation then vanished with it. Say so if it recurs.
      const read = readBootstrapScript(fake, ZONE, 'win-big');
      assert.ok(read, `win-big holds no startup script (instance ${fake.instances.has(`${ZONE}/win-big`) ? `has keys ${fake.metadataKeys(ZONE, 'win-big').join(', ') || 'none'}` : 'missing: was the fake reset under this test?'})`);
      assert.equal(read.compressed, true);
      assert.equal(read.script, big);
      assert.ok(Buffer.byteLength(fake.metadataValue(ZONE, 'win-big', 'windows-startup-script-ps1')!) <= 256 * 1024);
      const before = inserts().length;
      const err = await rejection(p.createVms({ ...request(prepared, ['win-ok']), vms: [{ nodeName: 'win-ok', script: script('win-ok') }, { nodeName: 'win-huge', script: incompressibleScript('win-huge') }] }));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /even compressed/);
      assert.equal(inserts().length, before, 'nothing created when one script does not fit');
    });

    it('refuses node names that cannot be Windows instance names before creating anything', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const err = await rejection(p.createVms(request(prepared, ['win-a', 'Win_Node.example'])));
      assert.equal(err.exitCode, 2);
      const long = await rejection(p.createVms(request(prepared, ['win-node-number-16'])));
      assert.match(long.message, /15 characters|cannot be/);
      assert.equal(inserts().length, 0);
    });

    it('reports QUOTA_EXCEEDED inside a DONE operation for one VM while the others are created', async () => {
      const p = provider();
      const prepared = await prepare(p);
      fake.faults.operationError('win-b', 'QUOTA_EXCEEDED', "Quota 'N2_CPUS' exceeded.  Limit: 8.0 in region europe-west1.");
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b', 'win-c'])));
      assert.equal(results[0]!.error, undefined);
      assert.equal(results[2]!.error, undefined);
      assert.match(results[1]!.error ?? '', /quota exceeded.*N2_CPUS.*Ask for more quota/);
      assert.equal(results[1]!.instanceId, undefined);
      assert.ok(fake.instances.has(`${ZONE}/win-a`) && fake.instances.has(`${ZONE}/win-c`) && !fake.instances.has(`${ZONE}/win-b`));
    });

    it('explains a 403 quotaExceeded on the insert as quota, fails only that VM and goes on with the others', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const quota = "Quota 'N2_CPUS' exceeded.  Limit: 8.0 in region europe-west1.";
      fake.faults.refuse('POST', /\/zones\/[^/]+\/instances$/, 403, 'quotaExceeded', quota);
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b', 'win-c'], { concurrency: 1 })));
      assert.match(results[0]!.error ?? '', /^compute\.instances\.insert refused in project demo-proj, zone europe-west1-b: quota exceeded \(Quota 'N2_CPUS' exceeded/);
      assert.match(results[0]!.error ?? '', /Ask for more quota \(IAM & Admin > Quotas in the Cloud console, region europe-west1; for CPUs, those of n2-standard-4;/);
      assert.doesNotMatch(results[0]!.error ?? '', /not allowed|roles\/compute/);
      assert.deepEqual(results.slice(1).map((r) => [r.instanceId, r.error]), [['win-b', undefined], ['win-c', undefined]], 'the batch went on');
      assert.equal(inserts().length, 3, 'a quota refusal is not retried');
      assert.ok(!fake.instances.has(`${ZONE}/win-a`));
      // Outside createVms the same refusal is exit 1 with the advice, not exit 3 with the permission list.
      fake.faults.refuse('POST', /\/global\/firewalls$/, 403, 'quotaExceeded', "Quota 'FIREWALLS' exceeded.  Limit: 200.0 globally.");
      const err = await rejection(provider({ allowRdpFrom: '203.0.113.0/24' }).ensureFirewall(REF, prepared.placement));
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /quota exceeded \(Quota 'FIREWALLS'.*Ask for more quota/);
      assert.equal(err.hint, undefined);
    });

    it('keeps waiting while an operation is still RUNNING, and reports one that never finishes', async () => {
      const p = provider();
      const prepared = await prepare(p);
      fake.faults.slowOperations(3);
      const eventsBefore = events.length;
      const [ok] = record(await p.createVms(request(prepared, ['win-a'])));
      assert.equal(ok!.error, undefined);
      // Progress: one line when the insert is accepted and one when it runs, none per poll.
      const progress = events.slice(eventsBefore).filter((e) => e.subject === 'win-a' && e.level !== 'debug');
      assert.deepEqual(progress.map((e) => e.level), ['info', 'info', 'success']);
      assert.match(progress[0]!.message, /^creating n2-standard-4 instance/);
      assert.match(progress[1]!.message, /^insert of instance win-a accepted \(operation operation-\d+-insert\); waiting until it runs$/);
      assert.match(progress[2]!.message, /^instance win-a RUNNING at 10\.20\.0\.\d+ after \d+ s$/);
      assert.equal(fake.instances.get(`${ZONE}/win-a`)!.status, 'RUNNING');
      assert.equal(fake.requests.filter((r) => /\/zones\/[^/]+\/operations\/operation-\d+-insert\/wait/.test(r.path)).length, 4);
      fake.faults.slowOperations(1_000_000);
      const slow = provider({ tuning: { baseDelayMs: 0, pollMs: 5, operationTimeoutMs: 50 } });
      const [late] = record(await slow.createVms(request(prepared, ['win-b'])));
      assert.match(late!.error ?? '', /is not done after 50 ms/);
    });

    it('starts nothing once the signal is aborted', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const controller = new AbortController();
      controller.abort();
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b'], { signal: controller.signal })));
      assert.deepEqual(results.map((r) => r.error), ['not started: interrupted', 'not started: interrupted']);
      assert.equal(inserts().length, 0);
    });

    it('explains ZONE_RESOURCE_POOL_EXHAUSTED with what to do', async () => {
      const p = provider();
      const prepared = await prepare(p);
      fake.faults.operationError('win-a', 'ZONE_RESOURCE_POOL_EXHAUSTED', 'The zone does not have enough resources available to fulfill the request.');
      const [r] = record(await p.createVms(request(prepared, ['win-a'])));
      assert.match(r!.error ?? '', /no capacity .*--zone.*--instance-type/);
    });
  });

  describe('retries', () => {
    it('retries rateLimitExceeded (429), userRateLimitExceeded (403) and 503 with backoff, and warns once', async () => {
      const p = provider();
      const prepared = await prepare(p);
      const warnsBefore = events.filter((e) => e.level === 'warn' && /rate-limiting/.test(e.message)).length;
      fake.faults.rateLimit(3, 429, 'rateLimitExceeded');
      record(await p.createVms(request(prepared, ['win-a'])));
      fake.faults.rateLimit(2, 403, 'userRateLimitExceeded');
      assert.equal((await p.listVms(REF)).length, 1);
      fake.faults.serverError(2, 503);
      assert.equal((await p.listVms(REF)).length, 1);
      assert.equal(inserts().filter((r) => !r.path.includes('rateLimit')).length >= 1, true);
      assert.equal(fake.instances.size, 2, 'one node and the control plane: no duplicate from retried inserts');
      assert.equal(events.filter((e) => e.level === 'warn' && /rate-limiting/.test(e.message)).length - warnsBefore, 1);
    });

    it('retries an insert whose answer was lost with the same requestId: one VM, not two', async () => {
      const p = provider();
      const prepared = await prepare(p);
      fake.faults.loseResponse('POST', /\/zones\/[^/]+\/instances$/);
      const [r] = record(await p.createVms(request(prepared, ['win-a'])));
      assert.equal(r!.error, undefined);
      const ids = inserts().map((q) => /requestId=([^&]+)/.exec(q.path)?.[1]);
      assert.equal(ids.length, 2);
      assert.equal(ids[0], ids[1]);
      assert.deepEqual([...fake.instances.keys()].sort(), [`${ZONE}/cp-1`, `${ZONE}/win-a`]);
    });

    it('gives up after the last attempt with an exit-1 error naming --concurrency', async () => {
      const p = provider({ tuning: { baseDelayMs: 0, pollMs: 0, maxAttempts: 3 } });
      fake.faults.rateLimit(10, 429);
      const err = await rejection(p.listVms(REF));
      assert.equal(err.exitCode, 1);
      assert.match(err.hint ?? '', /--concurrency/);
    });
  });

  describe('console, list and delete', () => {
    it('reads serial port 1', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-a'])));
      writeSerial(fake, ZONE, 'win-a', 'win-k8s: preflight started\r\nwin-k8s: join done\r\n');
      assert.equal(await p.consoleOutput('win-a'), 'win-k8s: preflight started\r\nwin-k8s: join done\r\n');
      assert.ok(fake.requests.some((r) => /\/instances\/win-a\/serialPort\?port=1/.test(r.path)));
      const err = await rejection(p.consoleOutput('win-zz'));
      assert.match(err.message, /does not exist/);
    });

    it('reads only what is new: each call asks from the last `next`, not the whole 1 MB buffer again', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-a'])));
      const starts = () => fake.requests.filter((r) => /\/instances\/win-a\/serialPort/.test(r.path)).map((r) => new URL(r.path, 'http://x').searchParams.get('start'));
      const first = 'win-k8s: preflight started\r\n';
      writeSerial(fake, ZONE, 'win-a', first);
      assert.equal(await p.consoleOutput('win-a'), first);
      writeSerial(fake, ZONE, 'win-a', 'win-k8s: preflight done\r\nwin-k8s: runt');
      writeSerial(fake, ZONE, 'win-a', 'ime started\r\n');
      // The whole console so far, although only the new bytes travelled.
      assert.equal(await p.consoleOutput('win-a'), `${first}win-k8s: preflight done\r\nwin-k8s: runtime started\r\n`);
      assert.equal(await p.consoleOutput('win-a'), `${first}win-k8s: preflight done\r\nwin-k8s: runtime started\r\n`);
      const total = Buffer.byteLength(fake.serialPort.get(`${ZONE}/win-a`)!);
      assert.deepEqual(starts(), ['0', String(Buffer.byteLength(first)), String(total)]);
    });

    it('output the 1 MB buffer dropped before it was read is named, and the newest output still read', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-b'])));
      writeSerial(fake, ZONE, 'win-b', 'win-k8s: preflight started\r\n');
      await p.consoleOutput('win-b');
      // A chatty boot (a driver logging to COM1) writes more than the buffer holds between two reads.
      const noise = `${'x'.repeat(99)}\n`.repeat(11_000);
      writeSerial(fake, ZONE, 'win-b', `${noise}win-k8s: runtime failed containerd did not start\r\n`);
      const text = await p.consoleOutput('win-b');
      // (Checked with ok(): a failing match would print the whole megabyte.)
      assert.ok(text.startsWith('win-k8s: preflight started\r\n'), 'what was read before is kept');
      assert.ok(text.endsWith('win-k8s: runtime failed containerd did not start\r\n'), 'the newest output is read');
      const dropped = Buffer.byteLength(fake.serialPort.get(`${ZONE}/win-b`)!) - SERIAL_BUFFER_BYTES - Buffer.byteLength('win-k8s: preflight started\r\n');
      assert.ok(text.includes(`${dropped} bytes of console output were discarded by Compute Engine before they were read`), 'the gap is named');
      // What is kept of a long console stays bounded: another buffer's worth pushes the oldest out.
      writeSerial(fake, ZONE, 'win-b', `${noise}win-k8s: log the newest line\r\n`);
      const later = await p.consoleOutput('win-b');
      assert.ok(later.endsWith('win-k8s: log the newest line\r\n'));
      assert.ok(Buffer.byteLength(later) <= 2 * SERIAL_BUFFER_BYTES, `kept ${Buffer.byteLength(later)} bytes`);
      assert.ok(!later.startsWith('win-k8s: preflight started'), 'the oldest text made room');
    });

    it('a negative start reads the newest bytes; a start the buffer dropped is moved up (the fake follows the API reference)', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-c'])));
      writeSerial(fake, ZONE, 'win-c', `${'y'.repeat(SERIAL_BUFFER_BYTES)}tail`);
      const get = async (start: string) => {
        const res = await fetch(`http://127.0.0.1:${fake.port}/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/win-c/serialPort?port=1&start=${start}`);
        return (await res.json()) as { contents: string; start: string; next: string };
      };
      const tail = await get('-4');
      assert.deepEqual([tail.contents, tail.start, tail.next], ['tail', String(SERIAL_BUFFER_BYTES), String(SERIAL_BUFFER_BYTES + 4)]);
      const moved = await get('0');
      assert.equal(moved.start, '4');
      assert.equal(Buffer.byteLength(moved.contents), SERIAL_BUFFER_BYTES);
    });

    it('lists by label, deletes VMs, keeps the firewall while VMs are left, then deletes it: nothing left behind', async () => {
      const p = provider({ allowRdpFrom: '203.0.113.7/32' });
      const prepared = await prepare(p);
      record(await p.createVms(request(prepared, ['win-a', 'win-b', 'win-c'])));
      record(await p.createVms({ ...request(prepared, ['lin-x']), ref: { cluster: 'demo', pool: 'other' } }));
      const listed = await p.listVms(REF);
      assert.deepEqual(listed.map((v) => [v.nodeName, v.pool, v.cluster, v.state]), [['win-a', 'win', 'demo', 'running'], ['win-b', 'win', 'demo', 'running'], ['win-c', 'win', 'demo', 'running']]);
      assert.equal((await p.listVms({ cluster: 'demo' })).length, 4);
      assert.match(fake.requests.find((r) => r.method === 'GET' && r.path.includes('filter='))!.path, /labels\.win-k8s-cluster/);
      assert.deepEqual(await p.deletePoolResources(REF), []);
      const foreign = await rejection(p.deleteVms(['cp-1']));
      assert.match(foreign.message, /not created by win-k8s/);
      await p.deleteVms(listed.map((v) => v.instanceId));
      assert.deepEqual((await p.listVms(REF)).length, 0);
      assert.deepEqual(await p.deletePoolResources(REF), ['win-k8s-demo-win', 'win-k8s-demo-win-rdp']);
      assert.deepEqual([...fake.firewalls.keys()], []);
      const malformed = await rejection(p.deleteVms(['i-0123456789abcdef0', 'Win_A']));
      assert.equal(malformed.exitCode, 2);
      await p.deleteVms(['lin-x', 'already-gone']);
      assert.deepEqual([...fake.instances.keys()], [`${ZONE}/cp-1`]);
    });
  });

  describe('credentials', () => {
    it('maps missing Application Default Credentials to exit 3', async () => {
      const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GOOGLE_APPLICATION_CREDENTIALS = join(tmpdir(), 'win-k8s-no-such-gcp-credentials.json');
      try {
        const err = await rejection(provider({ authClient: undefined }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
        assert.equal(err.exitCode, 3);
        assert.match(err.hint ?? '', /gcloud auth application-default login/);
      } finally {
        if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
        else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
      }
    });
  });

  describe('Application Default Credentials from a service account key file', () => {
    const email = 'win-k8s@demo-proj.iam.gserviceaccount.com';
    let keyFile: string;
    let publicKeyPem: string;
    let saved: string | undefined;
    before(() => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      keyFile = join(mkdtempSync(join(tmpdir(), 'win-k8s-gcp-key-')), 'key.json');
      const key = { type: 'service_account', project_id: PROJECT, private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: email, token_uri: 'https://oauth2.googleapis.com/token' };
      writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
      saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    });
    after(() => {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
      rmSync(dirname(keyFile), { recursive: true, force: true });
    });
    beforeEach(() => fake.reset({ ...SEED, requireAuth: { publicKeyPem, clientEmail: email } }));

    it('signs every call locally (no token endpoint), and 404s and rate limits keep their meaning', async () => {
      fake.faults.rateLimit(1, 403, 'rateLimitExceeded');
      const eventsBefore = events.length;
      const p = provider({ authClient: undefined });
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.equal(image.name, 'windows-server-2022-dc-core-v20260101');
      // A 404 through google-auth-library's HTTP client is still "not found": here, a usage error.
      const err = await rejection(p.resolveImage({ windowsVersion: '2025', edition: 'core' }));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /no image in family windows-2025-core in project windows-cloud/);
      assert.ok(events.slice(eventsBefore).some((e) => /rate-limiting API calls \(rateLimitExceeded\)/.test(e.message)), 'the 403 rate limit was retried');
      assert.ok(fake.requests.length >= 3);
      assert.ok(fake.requests.every((r) => r.principal === email), 'every call carried the key\'s JWT');
    });

    it('a 403 quotaExceeded through google-auth-library\'s HTTP client is quota, not permissions', async () => {
      const p = provider({ authClient: undefined });
      const prepared = await prepare(p);
      fake.faults.refuse('POST', /\/zones\/[^/]+\/instances$/, 403, 'quotaExceeded', "Quota 'CPUS' exceeded.  Limit: 24.0 in region europe-west1.");
      const results = record(await p.createVms(request(prepared, ['win-a', 'win-b'], { concurrency: 1 })));
      assert.match(results[0]!.error ?? '', /refused .*: quota exceeded \(Quota 'CPUS' exceeded.*Ask for more quota/);
      assert.equal(results[1]!.error, undefined);
      // A real denial on the same call is still exit 3 with the permissions to grant.
      fake.faults.refuse('GET', /\/global\/firewalls\//, 403, 'forbidden', "Required 'compute.firewalls.get' permission for 'projects/demo-proj/global/firewalls/win-k8s-demo-win'");
      const denied = await rejection(p.ensureFirewall(REF, prepared.placement));
      assert.equal(denied.exitCode, 3);
      assert.match(denied.hint ?? '', /roles\/compute\.securityAdmin/);
    });

    it('a call without credentials, or signed with another key, is refused with 401: exit 3', async () => {
      const anonymous = await rejection(provider().resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.equal(anonymous.exitCode, 3);
      assert.match(anonymous.message, /Google Cloud rejected the credentials \(Request is missing required authentication credential/);
      fake.reset({ ...SEED, requireAuth: { publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientEmail: email } });
      const other = await rejection(provider({ authClient: undefined }).resolveImage({ windowsVersion: '2022', edition: 'core' }));
      assert.equal(other.exitCode, 3);
      assert.match(other.message, /rejected the credentials \(Request had invalid authentication credentials/);
      assert.match(other.hint ?? '', /gcloud auth application-default login/);
    });
  });

  describe('the fake checks its responses against compute.proto', () => {
    it('rejects an unknown field or a bad enum in every response type it sends', async () => {
      const p = provider();
      const prepared = await prepare(p);
      await p.ensureFirewall(REF, prepared.placement);
      record(await p.createVms(request(prepared, ['win-a'])));
      writeSerial(fake, ZONE, 'win-a', 'x');
      await p.consoleOutput('win-a');
      await p.listVms(REF);
      await p.wizardChoices!({});
      const types = [...fake.samples.keys()].sort();
      assert.deepEqual(types, ['Firewall', 'Image', 'Instance', 'InstanceList', 'MachineType', 'MachineTypeList', 'Operation', 'SerialPortOutput', 'Subnetwork', 'SubnetworkList']);
      for (const type of types) {
        const sample = fake.samples.get(type) as Record<string, unknown>;
        assertMatchesProto(type, sample);
        assert.throws(() => assertMatchesProto(type, { ...sample, notAField: 1 }), ProtoMismatch, type);
        assert.throws(() => assertMatchesProto(type, { ...sample, name: 42 }), ProtoMismatch, type);
      }
      assert.throws(() => assertMatchesProto('Operation', { ...(fake.samples.get('Operation') as object), status: 'FINISHED' }), /not a value of enum Status/);
      assert.throws(() => assertMatchesProto('Instance', { ...(fake.samples.get('Instance') as object), networkInterfaces: [{ networkIp: '10.0.0.1' }] }), /networkIp: no such field/);
    });

    it('fails the request when a response it sends does not match', async () => {
      const p = provider();
      fake.faults.mutateNext('Image', (b) => {
        b.familyName = 'windows-2022';
      });
      // The fake answers the bad response with a 500 and records it; the provider retries.
      await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      assert.equal(fake.violations.length, 1);
      assert.match(fake.violations[0]!, /familyName: no such field in google\.cloud\.compute\.v1\.Image/);
      fake.faults.mutateNext('Operation', (b) => {
        b.status = 'FINISHED';
      });
      await p.ensureFirewall(REF, await p.resolvePlacement({ controlPlane: controlPlane() }));
      assert.equal(fake.violations.length, 2);
      assert.match(fake.violations[1]!, /not a value of enum Status/);
      fake.violations.length = 0;
    });
  });

  describe('forgetBootstrap (the token out of the metadata once the join is over)', () => {
    const setMetadataCalls = () => fake.requests.filter((r) => r.method === 'POST' && /\/instances\/[^/]+\/setMetadata/.test(r.path));
    type Meta = { fingerprint: string; items: Array<{ key: string; value: string }> };
    const meta = (node: string) => fake.instances.get(`${ZONE}/${node}`)!.metadata as Meta;

    it('the fake refuses setMetadata without the current fingerprint (412 conditionNotMet), and changes it on every write', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-a'])));
      const url = `http://127.0.0.1:${fake.port}/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/win-a/setMetadata`;
      const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const missing = await post({ items: [] });
      assert.equal(missing.status, 412);
      const error = ((await missing.json()) as { error: { message: string; errors: Array<{ reason: string }> } }).error;
      assert.equal(error.errors[0]!.reason, 'conditionNotMet');
      assert.match(error.message, /Supplied fingerprint does not match current metadata fingerprint/);
      const before = meta('win-a').fingerprint;
      assert.equal((await post({ fingerprint: 'c3RhbGU=', items: [] })).status, 412);
      assert.equal((await post({ fingerprint: before, items: [{ key: 'a', value: '1' }] })).status, 200);
      assert.notEqual(meta('win-a').fingerprint, before);
      assert.equal((await post({ fingerprint: before, items: [] })).status, 412, 'the old fingerprint is stale now');
      assert.deepEqual(fake.metadataKeys(ZONE, 'win-a'), ['a'], 'setMetadata replaces the whole list');
    });

    it('removes windows-startup-script-ps1 with the current fingerprint, keeps every other key, and does nothing the second time', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-a', 'win-b'])));
      // A key someone else keeps there (the guest agent's Windows password reset).
      meta('win-a').items.push({ key: 'windows-keys', value: '{"userName":"admin"}' });
      const fingerprints = { a: meta('win-a').fingerprint, b: meta('win-b').fingerprint };
      await p.forgetBootstrap!(['win-a', 'win-b']);
      for (const node of ['win-a', 'win-b']) assert.equal(readBootstrapScript(fake, ZONE, node), undefined, `${node} still holds the script`);
      assert.deepEqual(fake.metadataKeys(ZONE, 'win-a'), ['windows-keys']);
      assert.equal(fake.metadataValue(ZONE, 'win-a', 'windows-keys'), '{"userName":"admin"}');
      assert.deepEqual(fake.metadataKeys(ZONE, 'win-b'), []);
      assert.deepEqual(setMetadataCalls().map((r) => (r.body as { fingerprint?: string }).fingerprint).sort(), [fingerprints.a, fingerprints.b].sort());
      assert.ok(setMetadataCalls().every((r) => /requestId=[0-9a-f-]{36}/.test(r.path)));
      const calls = setMetadataCalls().length;
      await p.forgetBootstrap!(['win-a', 'win-b', 'win-gone']);
      assert.equal(setMetadataCalls().length, calls, 'nothing left to remove: no write');
      // An instance win-k8s did not create is not touched, whatever it holds.
      const foreign = await rejection(p.forgetBootstrap!(['cp-1']));
      assert.match(foreign.message, /cp-1: .*not created by win-k8s/);
      assert.equal(setMetadataCalls().length, calls);
    });

    it('a fingerprint gone stale in between (another writer) is read again and retried; what the other wrote is kept', async () => {
      const p = provider();
      record(await p.createVms(request(await prepare(p), ['win-a'])));
      fake.faults.metadataWrittenBehind('windows-keys', '{"userName":"ops"}');
      await p.forgetBootstrap!(['win-a']);
      assert.equal(setMetadataCalls().length, 2, 'refused once as stale, then done');
      assert.equal(readBootstrapScript(fake, ZONE, 'win-a'), undefined);
      assert.deepEqual(fake.metadataKeys(ZONE, 'win-a'), ['windows-keys']);
      // A writer that never stops: a bounded number of attempts, then an error that names the instance.
      record(await p.createVms(request(await prepare(p), ['win-b'])));
      fake.faults.metadataWrittenBehind('windows-keys', '{"userName":"ops"}', 1000);
      const err = await rejection(p.forgetBootstrap!(['win-b']));
      assert.match(err.message, /win-b/);
      assert.match(err.message, /fingerprint/);
      assert.notEqual(readBootstrapScript(fake, ZONE, 'win-b'), undefined);
    });
  });

  describe('--hyperv-isolation (nested virtualization)', function () {
    // Several placements and wizard listings in one test: room for a loaded CI runner.
    this.timeout(60_000);
    const zoneTypes = ['n2-standard-4', 'n2-standard-8', 'e2-standard-4', 'n2d-standard-4', 't2a-standard-4', 'h3-standard-88'];
    beforeEach(() => fake.reset({ ...SEED, zones: { ...SEED.zones, [ZONE]: zoneTypes } }));

    it('is refused as unsupported by Compute Engine (exit 2, --hyperv-isolation) unless --allow-unsupported', async () => {
      const err = await rejection(provider({ nestedVirtualization: true }).resolvePlacement({ controlPlane: controlPlane() }));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^--hyperv-isolation: Hyper-V isolation is not supported on Compute Engine: .*Linux KVM as the only hypervisor/);
      assert.match(err.hint ?? '', /--allow-unsupported/);
      assert.equal(fake.requests.length, 0, 'refused before any API call');
      await provider({ nestedVirtualization: true, allowUnsupported: true }).resolvePlacement({ controlPlane: controlPlane() });
    });

    it('refuses a machine type whose series cannot nest (E2, AMD, Arm, unlisted) before anything exists: exit 2, --instance-type, naming types that can', async () => {
      for (const [type, why] of [['e2-standard-4', /E2/], ['n2d-standard-4', /AMD/], ['t2a-standard-4', /Arm/], ['h3-standard-88', /does not list series H3/]] as const) {
        const err = await rejection(provider({ nestedVirtualization: true, allowUnsupported: true, machineType: type }).resolvePlacement({ controlPlane: controlPlane() }));
        assert.equal(err.exitCode, 2, type);
        assert.match(err.message, new RegExp(`^--instance-type: machine type ${type} cannot run nested virtualization`), type);
        assert.match(err.message, why, type);
        assert.match(err.hint ?? '', /for example (n2|n4|c3)-standard-(4|88)\b/, type);
        assert.match(err.message, /Series that can: N1, N2/, type);
      }
      assert.equal(fake.requests.length, 0, 'refused before any API call');
      // Without --hyperv-isolation the same types are fine.
      await provider({ machineType: 'e2-standard-4' }).resolvePlacement({ controlPlane: controlPlane() });
      // The wizard offers only what would be accepted.
      assert.deepEqual((await provider().wizardChoices!({})).instanceTypes, ['n2-standard-4', 'e2-standard-4', 'n2d-standard-4', 'n2-standard-8']);
      assert.deepEqual((await provider({ nestedVirtualization: true, allowUnsupported: true }).wizardChoices!({})).instanceTypes, ['n2-standard-4', 'n2-standard-8']);
      assert.equal(inserts().length, 0);
      assert.equal(fake.firewalls.size, 0);
    });

    it('asks for nested virtualization on the insert (the guest sees VT-x), and only with --hyperv-isolation', async () => {
      const eventsBefore = events.length;
      const p = provider({ nestedVirtualization: true, allowUnsupported: true });
      record(await p.createVms(request(await prepare(p), ['win-hv'])));
      assert.deepEqual(fake.instances.get(`${ZONE}/win-hv`)!.advancedMachineFeatures, { enableNestedVirtualization: true });
      assert.equal(fake.nestedVirtualization(ZONE, 'win-hv'), true);
      assert.ok(events.slice(eventsBefore).some((e) => e.level === 'warn' && /Linux KVM as the only hypervisor/.test(e.message)), 'Google\'s support statement is said');
      const plain = provider();
      record(await plain.createVms(request(await prepare(plain), ['win-plain'])));
      assert.equal(fake.instances.get(`${ZONE}/win-plain`)!.advancedMachineFeatures, undefined);
      assert.equal(fake.nestedVirtualization(ZONE, 'win-plain'), false, 'without the flag the bootstrap would find no hypervisor');
    });

    it('the fake refuses the flag on a series without it, as the API does', async () => {
      const p = provider({ nestedVirtualization: true, allowUnsupported: true, machineType: 'e2-standard-4' });
      const prepared = await prepare(provider());
      const [r] = record(await p.createVms(request(prepared, ['win-e2'])));
      assert.match(r!.error ?? '', /does not support nested virtualization/);
      assert.equal(fake.instances.has(`${ZONE}/win-e2`), false);
    });
  });

  // Last: it scans what every test above produced.
  describe('secrets', () => {
    it('never puts the join token in an event or an error', () => {
      assert.ok(events.length > 20, 'the tests produced events');
      for (const e of events) assert.ok(!JSON.stringify(e).includes(SECRET), `token in event: ${e.message}`);
      for (const f of failures) assert.ok(!f.includes(SECRET), `token in error: ${f}`);
    });
  });
});
