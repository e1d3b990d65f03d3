import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_ARM_ENDPOINT, adminPasswordOf, readBootstrap, startFakeArm, type FakeArm } from '../fakes/arm/index.js';
import { createAzureProvider, type AzureProviderOptions } from '../../src/cloud/azure/provider.js';
import { vmState } from '../../src/cloud/azure/vms.js';
import { AZ_TAG_CLUSTER, AZ_TAG_NODE, AZ_TAG_POOL } from '../../src/cloud/azure/tags.js';
import { generateAdminPassword } from '../../src/cloud/azure/admin-password.js';
import { nestedVirtualizationProblem } from '../../src/cloud/azure/nested-virtualization.js';
import { azureBootstrap, TOKEN_SLOT_VALUE } from '../../src/cloud/azure/custom-data.js';
import { scriptFromUserData } from '../fakes/node-agent/script.js';
import { sizeOffersNestedVirtualization } from '../fakes/arm/index.js';
import { parsePowerShell } from '../helpers/powershell.js';
import type { CloudProvider, PoolRef, ResolvedPlacement } from '../../src/cloud/provider.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';
import { isWinK8sError } from '../../src/errors.js';
import type { OutputEvent } from '../../src/output/output.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const RG = 'k8s-rg';
const SECRET = 'q7k2zp.h4x9s3cr3tv4lu3z';
const REF: PoolRef = { cluster: 'demo', pool: 'win' };
const VNET = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/k8s-vnet`;
const SUBNET = `${VNET}/subnets/nodes`;
const CP_VM = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/cp-0`;
const CP_NIC = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/cp-0-nic`;
const credential = { getToken: async () => ({ token: 'fake', expiresOnTimestamp: Date.now() + 3600e3 }) };

function script(node: string): string {
  // The token literal as the rendered header has it: the provider moves it out of customData.
  return [`# win-k8s bootstrap for ${node}`, "$ErrorActionPreference = 'Stop'", `$BootstrapToken = '${SECRET}'`, `Write-Output "win-k8s: preflight started ${node}"`, 'x'.repeat(20_000)].join('\n');
}

function seed(fake: FakeArm): void {
  fake.seed(VNET, { type: 'Microsoft.Network/virtualNetworks', location: 'eastus', properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16', '10.2.0.0/16'] } } });
  fake.seed(SUBNET, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.1.0.0/24' } });
  fake.seed(CP_NIC, { type: 'Microsoft.Network/networkInterfaces', location: 'eastus', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { primary: true, subnet: { id: SUBNET }, privateIPAddress: '10.1.0.4' } }] } });
  fake.seed(CP_VM, { type: 'Microsoft.Compute/virtualMachines', location: 'eastus', properties: { networkProfile: { networkInterfaces: [{ id: CP_NIC, properties: { primary: true } }] } } });
}

describe('Azure provider against the fake ARM', function () {
  this.timeout(30_000);
  let fake: FakeArm;
  let events: OutputEvent[];
  let errors: unknown[];
  let dir: string;

  const provider = (extra: Partial<AzureProviderOptions> = {}): CloudProvider =>
    createAzureProvider({
      sink: (e) => events.push(e),
      diskSizeGb: 128,
      edition: 'core',
      credential,
      endpoint: FAKE_ARM_ENDPOINT,
      httpClient: fake.httpClient,
      env: {},
      controlPlane: parseProviderId(`azure://${CP_VM}`),
      tuning: { maxRetries: 3, retryDelayMs: 10, maxRetryDelayMs: 50 },
      ...extra,
    });

  before(async () => {
    fake = await startFakeArm({
      subscription: SUB,
      vmSizes: { eastus: ['Standard_B1s', 'Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_D8s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2', 'Standard_NC6s_v3'], westus: ['Standard_D4s_v5'] },
    });
    seed(fake);
    dir = mkdtempSync(join(tmpdir(), 'azure-provider-'));
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    events = [];
    errors = [];
  });
  afterEach(() => {
    // Neither the token nor any admin password ever reaches an event or an error.
    const passwords = fake.ofType('Microsoft.Compute/virtualMachines').map((vm) => adminPasswordOf(fake, String(vm.name))).filter((p): p is string => !!p);
    const texts = [...events.map((e) => `${e.subject ?? ''} ${e.message}`), ...errors.map((e) => (isWinK8sError(e) ? `${e.message} ${e.hint ?? ''}` : String(e)))];
    for (const t of texts) {
      assert.ok(!t.includes(SECRET), `token leaked: ${t}`);
      for (const p of passwords) assert.ok(!t.includes(p), `password leaked: ${t}`);
    }
  });

  it('resolves marketplace SKUs and validates --image', async () => {
    const p = provider();
    assert.equal((await p.resolveImage({ windowsVersion: '2022', edition: 'core' })).id, 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-core-g2:latest');
    assert.equal((await p.resolveImage({ windowsVersion: '2025', edition: 'full' })).id, 'MicrosoftWindowsServer:WindowsServer:2025-datacenter-g2:latest');
    assert.equal((await p.resolveImage({ windowsVersion: '2019', edition: 'core' })).id, 'MicrosoftWindowsServer:WindowsServer:2019-Datacenter-Core:latest');
    const gallery = `/subscriptions/${SUB}/resourceGroups/img/providers/Microsoft.Compute/galleries/g/images/win2022`;
    assert.equal((await p.resolveImage({ windowsVersion: '2022', edition: 'core', image: gallery })).id, gallery);
    await assert.rejects(p.resolveImage({ windowsVersion: '2022', edition: 'core', image: 'not-an-image' }), (e: unknown) => isWinK8sError(e) && e.exitCode === 2 && /--image/.test(e.message));
  });

  it('places nodes from the control plane providerID (VM → NIC → subnet → VNet) and from --subnet-id', async () => {
    const fromCp = await provider().resolvePlacement({});
    assert.deepEqual(fromCp, { region: 'eastus', networkId: VNET, subnetId: SUBNET, networkCidr: '10.1.0.0/16,10.2.0.0/16', extraFirewallIds: [] });
    const fromSubnet = await provider({ controlPlane: undefined, resourceGroup: RG, subscription: SUB, subnetId: SUBNET }).resolvePlacement({});
    assert.equal(fromSubnet.subnetId, SUBNET);
    assert.equal(fromSubnet.region, 'eastus');
    await assert.rejects(provider({ vmSize: 'Standard_Nope' }).resolvePlacement({}), (e: unknown) => isWinK8sError(e) && e.exitCode === 2 && /--instance-type/.test(e.message));
    await assert.rejects(provider({ controlPlane: undefined }).resolvePlacement({}), (e: unknown) => isWinK8sError(e) && e.exitCode === 2);
  });

  it('refuses a --location other than the VNet\'s before anything is created (exit 2)', async () => {
    const before = fake.calls.filter((c) => c.method !== 'GET').length;
    await assert.rejects(provider({ location: 'westus' }).resolvePlacement({}), (e: unknown) => {
      errors.push(e);
      return isWinK8sError(e) && e.exitCode === 2 && /^--location: location westus is not that of virtual network k8s-vnet \(eastus\)/.test(e.message);
    });
    await assert.rejects(provider({ location: 'westus', controlPlane: undefined, subscription: SUB, resourceGroup: RG, subnetId: SUBNET }).resolvePlacement({}), (e: unknown) => isWinK8sError(e) && /--location/.test(e.message));
    assert.equal(fake.calls.filter((c) => c.method !== 'GET').length, before);
    // The same location in other letter case is the same location.
    assert.equal((await provider({ location: 'EastUS' }).resolvePlacement({})).region, 'EastUS');
  });

  it('--hyperv-isolation: a size without nested virtualization is refused at placement (exit 2, --instance-type, sizes of the location that have it)', async () => {
    const refused = await provider({ vmSize: 'Standard_B2s', nestedVirtualization: true }).resolvePlacement({}).catch((e: unknown) => e);
    assert.ok(isWinK8sError(refused), String(refused));
    assert.equal(refused.exitCode, 2);
    assert.match(refused.message, /^--instance-type: /);
    assert.match(refused.message, /--hyperv-isolation needs nested virtualization, and Standard_B2s is a burstable B-series size/);
    assert.match(refused.hint ?? '', /e\.g\. Standard_D2s_v5, /, 'the same vCPU count first');
    assert.doesNotMatch(refused.hint ?? '', /Standard_B|NC6s/);
    // Without the flag any offered size goes; with it a size that has it goes too.
    await provider({ vmSize: 'Standard_B2s' }).resolvePlacement({});
    for (const size of ['Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2']) await provider({ vmSize: size, nestedVirtualization: true }).resolvePlacement({});
    assert.equal(fake.calls.filter((c) => c.method !== 'GET').length, 0);
    // The provider's table says what the fake's sizes (the size pages' facts) say.
    for (const size of ['Standard_B1s', 'Standard_B2s', 'Standard_B4s_v2', 'Standard_D4as_v4', 'Standard_D4as_v5', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2']) {
      assert.equal(nestedVirtualizationProblem(size) === undefined, sizeOffersNestedVirtualization(size), size);
    }
    assert.match(nestedVirtualizationProblem('Standard_D4ps_v5')!, /Arm/);
    assert.match(nestedVirtualizationProblem('Standard_NC6s_v3')!, /not a series win-k8s knows/);
  });

  it('--admin-password-file that became a symlink after the plan checked it is refused at open (no-follow): exit 2, its target untouched, nothing created', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'win-k8s-pw-'));
    const target = join(tmp, 'elsewhere');
    writeFileSync(target, 'keep\n');
    symlinkSync(target, join(tmp, 'passwords'));
    const p = provider({ adminPasswordFile: join(tmp, 'passwords') });
    const placement = await p.resolvePlacement({});
    const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
    const before = fake.calls.filter((c) => c.method !== 'GET').length;
    const refused = await p.createVms({ ref: { cluster: 'demo', pool: 'pw' }, placement, image, firewall: { id: 'unused', created: false }, vms: [{ nodeName: 'win-pw-1', script: script('x') }], concurrency: 1, signal: new AbortController().signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isWinK8sError(refused), String(refused));
    assert.equal(refused.exitCode, 2);
    assert.match(refused.message, /--admin-password-file: cannot write .*passwords \(ELOOP\)/);
    assert.equal(readFileSync(target, 'utf8'), 'keep\n');
    assert.equal(fake.calls.filter((c) => c.method !== 'GET').length, before);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('OS disk: the image\'s 127 GiB by default, an explicit smaller --disk-size refused before anything is created', async () => {
    const before = fake.calls.filter((c) => c.method !== 'GET').length;
    for (const image of [undefined, 'MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest']) {
      await assert.rejects(provider({ diskSizeGb: 100, image }).resolveImage({ windowsVersion: '2022', edition: 'core' }), (e: unknown) => {
        errors.push(e);
        return isWinK8sError(e) && e.exitCode === 2 && /^--disk-size: 100 GiB is smaller than the image's 127 GiB OS disk/.test(e.message) && /at least 127/.test(e.hint ?? '');
      });
    }
    // A smalldisk SKU is 30 GiB; an image win-k8s knows no size of is left to ARM.
    await provider({ diskSizeGb: 100, image: 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-smalldisk-g2:latest' }).resolveImage({ windowsVersion: '2022', edition: 'core' });
    await provider({ diskSizeGb: 64, image: `/subscriptions/${SUB}/resourceGroups/img/providers/Microsoft.Compute/galleries/g/images/w` }).resolveImage({ windowsVersion: '2022', edition: 'core' });
    assert.equal(fake.calls.filter((c) => c.method !== 'GET').length, before);

    const p = provider({ diskSizeGb: undefined });
    const placement = await p.resolvePlacement({});
    const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
    const firewall = await p.ensureFirewall({ cluster: 'demo', pool: 'disk' }, placement);
    const [r] = await p.createVms({ ref: { cluster: 'demo', pool: 'disk' }, placement, image, firewall, vms: [{ nodeName: 'win-disk-1', script: script('win-disk-1') }], concurrency: 1, signal: new AbortController().signal });
    assert.equal(r!.error, undefined);
    const vm = fake.get(r!.instanceId!)!;
    assert.equal(vm.properties.storageProfile.osDisk.diskSizeGB, 127);
    assert.ok(events.some((e) => e.level === 'info' && /OS disk: 127 GiB, the image's own size/.test(e.message)));
    await p.deleteVms([r!.instanceId!]);
    await p.deletePoolResources({ cluster: 'demo', pool: 'disk' });
  });

  it('an OS disk ARM refuses as smaller than the image is explained as that, not as a quota', async () => {
    // What the provider now prevents for known images, ARM still says for the others (gallery images).
    const p = provider({ diskSizeGb: 100 });
    const placement = await p.resolvePlacement({});
    const firewall = await p.ensureFirewall({ cluster: 'demo', pool: 'small' }, placement);
    const image = { id: 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest', name: 'x', containersPreinstalled: false };
    await assert.rejects(
      p.createVms({ ref: { cluster: 'demo', pool: 'small' }, placement, image, firewall, vms: [{ nodeName: 'win-small-1', script: script('x') }], concurrency: 1, signal: new AbortController().signal }),
      (e: unknown) => isWinK8sError(e) && e.exitCode === 2 && /^--disk-size: 100 GiB is smaller/.test(e.message),
      'createVms checks too',
    );
    assert.equal(fake.calls.filter((c) => c.method === 'PUT' && /win-small-1/.test(c.path)).length, 0);
    const { vmFailureText } = await import('../../src/cloud/azure/errors.js');
    const refused = Object.assign(new Error('The specified disk size 100 GB is smaller than the size of the corresponding disk in the VM image: 127 GB. This is not allowed.'), { code: 'OperationNotAllowed', statusCode: 409 });
    const text = vmFailureText(refused);
    assert.match(text, /OperationNotAllowed: The specified disk size 100 GB/);
    assert.match(text, /--disk-size of at least that size/);
    assert.doesNotMatch(text, /quota/);
    assert.match(vmFailureText(Object.assign(new Error('Operation results in exceeding quota limits of Core.'), { code: 'OperationNotAllowed', statusCode: 409 })), /quota/);
    await p.deletePoolResources({ cluster: 'demo', pool: 'small' });
  });

  it('creates the NSG with node ports from the VNet only, RDP only from --allow-rdp-from, idempotently', async () => {
    const p = provider({ allowRdpFrom: '203.0.113.7/32' });
    const placement = await p.resolvePlacement({});
    const first = await p.ensureFirewall(REF, placement);
    assert.equal(first.created, true);
    const nsg = fake.get(first.id)!;
    assert.equal(nsg.name, 'win-k8s-demo-win');
    assert.deepEqual(nsg.tags, { [AZ_TAG_CLUSTER]: 'demo', [AZ_TAG_POOL]: 'win' });
    const rules = (nsg.properties.securityRules as { name: string; properties: Record<string, unknown> }[]).map((r) => ({
      name: r.name,
      proto: r.properties.protocol,
      port: r.properties.destinationPortRange,
      from: r.properties.sourceAddressPrefixes ?? r.properties.sourceAddressPrefix,
      access: r.properties.access,
      dir: r.properties.direction,
    }));
    assert.deepEqual(rules, [
      { name: 'win-k8s-kubelet', proto: 'Tcp', port: '10250', from: ['10.1.0.0/16', '10.2.0.0/16'], access: 'Allow', dir: 'Inbound' },
      { name: 'win-k8s-kube-proxy-health', proto: 'Tcp', port: '10256', from: ['10.1.0.0/16', '10.2.0.0/16'], access: 'Allow', dir: 'Inbound' },
      { name: 'win-k8s-vxlan', proto: 'Udp', port: '4789', from: ['10.1.0.0/16', '10.2.0.0/16'], access: 'Allow', dir: 'Inbound' },
      { name: 'win-k8s-rdp', proto: 'Tcp', port: '3389', from: '203.0.113.7/32', access: 'Allow', dir: 'Inbound' },
    ]);
    for (const r of rules) for (const src of [r.from].flat()) assert.ok(!['*', 'Internet', 'Any', '0.0.0.0/0'].includes(String(src)), `rule ${r.name} open to ${String(src)}`);
    const puts = fake.calls.filter((c) => c.method === 'PUT' && /networkSecurityGroups/.test(c.path)).length;
    const again = await p.ensureFirewall(REF, placement);
    assert.deepEqual(again, { id: first.id, created: false });
    assert.equal(fake.calls.filter((c) => c.method === 'PUT' && /networkSecurityGroups/.test(c.path)).length, puts, 'no second PUT');
    await assert.rejects(provider({ allowRdpFrom: '*' }).ensureFirewall(REF, placement), (e: unknown) => isWinK8sError(e) && e.exitCode === 2 && /--allow-rdp-from/.test(e.message));
    await assert.rejects(provider({ allowRdpFrom: '0.0.0.0/0' }).ensureFirewall(REF, placement), (e: unknown) => isWinK8sError(e) && e.exitCode === 2);
    // Parsed, not a string check: half of IPv4, a padded prefix and a broad service tag are refused.
    for (const wide of ['0.0.0.0/1', '0.0.0.0/00', '10.0.0.0/7', 'AzureCloud']) {
      await assert.rejects(provider({ allowRdpFrom: wide }).ensureFirewall(REF, placement), (e: unknown) => isWinK8sError(e) && e.exitCode === 2 && /--allow-rdp-from/.test(e.message), wide);
    }
  });

  describe('VMs', () => {
    let p: CloudProvider;
    let placement: ResolvedPlacement;
    const pwFile = () => join(dir, 'admin-password');
    const pwLines = () => readFileSync(pwFile(), 'utf8').split('\n').filter(Boolean);

    before(async () => {
      events = [];
      // An existing, world-readable file: its lines stay, and it ends 0600 (open()'s mode would not change it).
      writeFileSync(pwFile(), 'win-old-0001\tAn-earlier-run-1\n');
      chmodSync(pwFile(), 0o644);
      p = provider({ adminPasswordFile: join(dir, 'admin-password') });
      placement = await p.resolvePlacement({});
    });

    it('creates three tagged VMs without public IPs, boot diagnostics on, computerName = node name, the bootstrap delivered', async () => {
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      const firewall = await p.ensureFirewall(REF, placement);
      fake.faults.throttle = 1; // one 429 with Retry-After: 1, retried by the SDK
      const names = ['win-demo-0001', 'win-demo-0002', 'win-demo-0003'];
      const results = await p.createVms({ ref: REF, placement, image, firewall, vms: names.map((n) => ({ nodeName: n, script: script(n) })), concurrency: 2, signal: new AbortController().signal });
      assert.ok(fake.calls.some((c) => c.status === 429), 'a 429 was served');
      assert.deepEqual(results.map((r) => r.error), [undefined, undefined, undefined]);
      for (const r of results) {
        assert.match(r.instanceId!, /\/virtualMachines\/win-demo-000\d$/);
        assert.match(r.privateIp!, /^10\.1\.0\.\d+$/);
        const vm = fake.get(r.instanceId!)!;
        assert.deepEqual(vm.tags, { [AZ_TAG_CLUSTER]: 'demo', [AZ_TAG_POOL]: 'win', [AZ_TAG_NODE]: r.nodeName });
        assert.equal(vm.properties.osProfile.computerName, r.nodeName);
        assert.equal(vm.properties.osProfile.adminUsername, 'winadmin');
        assert.equal(vm.properties.hardwareProfile.vmSize, 'Standard_D4s_v5');
        assert.deepEqual(vm.properties.diagnosticsProfile, { bootDiagnostics: { enabled: true } });
        assert.equal(vm.properties.storageProfile.osDisk.diskSizeGB, 128);
        assert.equal(vm.properties.storageProfile.imageReference.sku, '2022-datacenter-core-g2');
        const nic = fake.get(vm.properties.networkProfile.networkInterfaces[0].id)!;
        assert.equal(nic.properties.networkSecurityGroup.id, firewall.id);
        assert.ok(nic.properties.ipConfigurations.every((c: { properties: Record<string, unknown> }) => c.properties.publicIPAddress === undefined));
        assert.deepEqual(nic.tags, vm.tags);
        assert.deepEqual(fake.get(vm.properties.storageProfile.osDisk.managedDisk.id)!.tags, vm.tags);
        const pw = adminPasswordOf(fake, r.nodeName)!;
        assert.ok(pw.length >= 12 && pw.length <= 123);
        // As the node sees it: CustomData.bin, and the extension's command that runs it and hands
        // the stub the token; the stub's script is the rendered one, token included.
        const delivered = readBootstrap(fake, r.nodeName);
        assert.equal(delivered.script, script(r.nodeName));
        assert.match(delivered.commandToExecute, /C:\\AzureData\\CustomData\.bin/);
        // The token: never in customData (kept with the VM, copied to C:\AzureData), only in the
        // extension's protectedSettings, which ARM does not return.
        assert.ok(!delivered.customDataBin.includes(SECRET) && !delivered.customDataScript.includes(SECRET), 'no token in customData');
        assert.ok(!delivered.customDataBin.includes(SECRET.split('.')[1]!));
        assert.ok(delivered.protectedCommand);
        assert.ok(delivered.commandToExecute.includes(`-Token '${SECRET}'`));
        const ext = fake.get(`${r.instanceId!}/extensions/win-k8s-bootstrap`)!;
        assert.equal(ext.properties.settings, undefined, 'nothing in the readable settings');
      }
      // One password per VM, appended after the earlier run's line, in a 0600 file.
      assert.equal(statSync(pwFile()).mode & 0o777, 0o600);
      const lines = pwLines();
      assert.equal(lines[0], 'win-old-0001\tAn-earlier-run-1');
      assert.deepEqual(lines.slice(1).sort(), names.map((n) => `${n}\t${adminPasswordOf(fake, n)!}`));
      assert.equal(new Set(names.map((n) => adminPasswordOf(fake, n))).size, 3, 'a password per VM');
      // Progress: one line when ARM accepted each create and one when it is done, however many polls.
      for (const n of names) {
        assert.equal(events.filter((e) => e.subject === n && e.level === 'info' && /accepted/.test(e.message)).length, 1, n);
        assert.equal(events.filter((e) => e.subject === n && e.level === 'success' && /VM created/.test(e.message)).length, 1, n);
      }
      assert.ok(fake.calls.filter((c) => c.path.startsWith('/fake-operations/')).length > names.length * 2, 'the operations were polled');
      assert.ok(events.some((e) => /password of 3 VMs appended to/.test(e.message)));
    });

    it('a top-up run appends to the password file; a run whose every create is refused writes nothing', async () => {
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      const firewall = await p.ensureFirewall(REF, placement);
      const before = pwLines();
      fake.faults.failNext = ['QuotaExceeded', 'QuotaExceeded'];
      const refused = await p.createVms({ ref: REF, placement, image, firewall, vms: ['win-demo-0008', 'win-demo-0009'].map((n) => ({ nodeName: n, script: script(n) })), concurrency: 2, signal: new AbortController().signal });
      assert.ok(refused.every((r) => /QuotaExceeded/.test(r.error ?? '')));
      assert.deepEqual(pwLines(), before, 'no password no VM has');
      errors.push(...refused.map((r) => r.error));
      const [top] = await p.createVms({ ref: REF, placement, image, firewall, vms: [{ nodeName: 'win-demo-0007', script: script('win-demo-0007') }], concurrency: 1, signal: new AbortController().signal });
      assert.equal(top!.error, undefined);
      assert.deepEqual(pwLines(), [...before, `win-demo-0007\t${adminPasswordOf(fake, 'win-demo-0007')!}`]);
      assert.equal(statSync(pwFile()).mode & 0o777, 0o600);
      await p.deleteVms([top!.instanceId!]);
    });

    it('reads the serial console from boot diagnostics', async () => {
      const [vm] = await p.listVms({ cluster: 'demo', pool: 'win' });
      fake.serialLogs.set(vm!.nodeName, 'win-k8s: preflight started\nwin-k8s: preflight done\n');
      assert.match(await p.consoleOutput(vm!.instanceId), /preflight done/);
      assert.doesNotMatch(await p.consoleOutput(vm!.instanceId), /extension failed/);
      const ext = fake.get(`${vm!.instanceId}/extensions/win-k8s-bootstrap`)!;
      ext.properties.instanceView = {
        statuses: [{ code: 'ProvisioningState/failed/1', level: 'Error', message: 'Command execution finished, but failed because it returned a non-zero exit code of: 1' }],
        substatuses: [{ code: 'ComponentStatus/StdErr/succeeded', message: `Copy-Item : Cannot find path 'C:\\AzureData\\CustomData.bin'\n$joinToken = '${SECRET}'` }],
      };
      const text = await p.consoleOutput(vm!.instanceId);
      assert.match(text, /win-k8s: extension failed/);
      assert.match(text, /Cannot find path/);
      assert.ok(!text.includes(SECRET), 'the token is scrubbed from the extension output');
      delete ext.properties.instanceView;
    });

    it('adds the phase lines of the extension\'s stdout when COM1 has none (the Serial Console\'s SAC holds it)', async () => {
      const [vm] = await p.listVms({ cluster: 'demo', pool: 'win' });
      fake.serialLogs.set(vm!.nodeName, '');
      const ext = fake.get(`${vm!.instanceId}/extensions/win-k8s-bootstrap`)!;
      // Write-Log's lines, timestamped, as the extension keeps its command's stdout.
      const stdout = ['preflight started', 'preflight done', 'features started', 'features done', `complete done ${vm!.nodeName}`].map((l) => `2026-01-01T10:00:00+00:00 win-k8s: ${l}`).join('\r\n');
      ext.properties.instanceView = {
        statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', message: 'Command execution finished' }],
        substatuses: [
          { code: 'ComponentStatus/StdOut/succeeded', level: 'Info', message: `${stdout}\r\nsome other output\r\n$joinToken = '${SECRET}' win-k8s: echoed` },
          { code: 'ComponentStatus/StdErr/succeeded', level: 'Info', message: '' },
        ],
      };
      try {
        const text = await p.consoleOutput(vm!.instanceId);
        assert.match(text, new RegExp(`^win-k8s: complete done ${vm!.nodeName}$`, 'm'));
        assert.match(text, /^win-k8s: preflight started$/m);
        assert.doesNotMatch(text, /some other output|2026-01-01/);
        assert.doesNotMatch(text, /extension failed/);
        assert.ok(!text.includes(SECRET));
        // Lines the serial log has already are not repeated.
        fake.serialLogs.set(vm!.nodeName, 'win-k8s: preflight started\nwin-k8s: preflight done\n');
        const both = await p.consoleOutput(vm!.instanceId);
        assert.equal(both.match(/win-k8s: preflight done/g)?.length, 1);
        assert.match(both, /win-k8s: features done/);
      } finally {
        delete ext.properties.instanceView;
        fake.serialLogs.delete(vm!.nodeName);
      }
    });

    it('the extension cut off by the planned features restart is progress, not a failure; any other failure still is', async () => {
      const vms = await p.listVms({ cluster: 'demo', pool: 'win' });
      const [, planned, unplanned] = vms;
      const stamp = (l: string) => `2026-01-01T10:00:00+00:00 ${l}`;
      const failedLine = /win-k8s: \S+ failed/;
      try {
        // The features phase schedules the restart and exits 0, but Windows went down before the
        // extension saw the exit: CSE reports the run failed, "interrupted by a VM restart".
        const run = fake.customScript(planned!.nodeName)!;
        assert.equal(run.state, 'running');
        for (const l of ['win-k8s: preflight started', 'win-k8s: preflight done', 'win-k8s: features started', 'win-k8s: features done']) run.stdout(stamp(l));
        run.stdout(stamp('rebooting: Windows features or the computer name need a restart; the startup task win-k8s-bootstrap resumes the bootstrap'));
        fake.serialLogs.set(planned!.nodeName, 'win-k8s: features done\nwin-k8s: reboot Windows features or the computer name need a restart\n');
        assert.doesNotMatch(await p.consoleOutput(planned!.instanceId), /extension/, 'still running: nothing to add');
        fake.restartVm(planned!.nodeName);
        assert.equal(run.state, 'interrupted');
        const ext = fake.get(`${planned!.instanceId}/extensions/win-k8s-bootstrap`)!;
        assert.equal(ext.properties.provisioningState, 'Failed');
        assert.match(ext.properties.instanceView.statuses[0].message, /interrupted by a VM restart/);
        const text = await p.consoleOutput(planned!.instanceId);
        assert.doesNotMatch(text, failedLine, text);
        assert.match(text, /^win-k8s: extension ended by the planned restart/m);
        // The same when COM1 is held (SAC): the extension's stdout alone shows the planned restart.
        fake.serialLogs.set(planned!.nodeName, '');
        assert.doesNotMatch(await p.consoleOutput(planned!.instanceId), failedLine);

        // A restart nobody planned (no restart line anywhere) cut the bootstrap off: a failure.
        const other = fake.customScript(unplanned!.nodeName)!;
        other.stdout(stamp('win-k8s: preflight started'));
        fake.restartVm(unplanned!.nodeName);
        const cut = await p.consoleOutput(unplanned!.instanceId);
        assert.match(cut, /win-k8s: extension failed .*interrupted by a VM restart/);
      } finally {
        fake.serialLogs.delete(planned!.nodeName);
      }
    });

    it('a script that exits 0 before the scheduled restart is reported succeeded, and the restart keeps that; a non-zero exit is a failure even after the restart line', async () => {
      const [vm] = await p.createVms({ ref: REF, placement, image: await p.resolveImage({ windowsVersion: '2022', edition: 'core' }), firewall: await p.ensureFirewall(REF, placement), vms: [{ nodeName: 'win-demo-0009', script: script('win-demo-0009') }], concurrency: 1, signal: new AbortController().signal });
      try {
        const run = fake.customScript('win-demo-0009')!;
        run.stdout('2026-01-01T10:00:00+00:00 rebooting: Windows features need a restart; the startup task win-k8s-bootstrap resumes the bootstrap');
        run.exit(0);
        fake.restartVm('win-demo-0009');
        assert.equal(run.state, 'exited');
        assert.equal(fake.get(`${vm!.instanceId!}/extensions/win-k8s-bootstrap`)!.properties.provisioningState, 'Succeeded');
        assert.doesNotMatch(await p.consoleOutput(vm!.instanceId!), /extension/);
        // Exit 1 after the restart line (scheduling the restart failed): the extension's failure counts.
        const ext = fake.get(`${vm!.instanceId!}/extensions/win-k8s-bootstrap`)!;
        ext.properties.instanceView.statuses = [{ code: 'ProvisioningState/failed/3', level: 'Error', displayStatus: 'Provisioning failed', message: "Command execution finished, but failed because it returned a non-zero exit code of: '1'." }];
        assert.match(await p.consoleOutput(vm!.instanceId!), /win-k8s: extension failed .*non-zero exit code/);
      } finally {
        await p.deleteVms([vm!.instanceId!]);
      }
    });

    it('forgetBootstrap deletes the extension whose command carries the token, once; a provision VM (no token) keeps its extension', async () => {
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      const firewall = await p.ensureFirewall(REF, placement);
      const provision = script('win-demo-0011').replace(`$BootstrapToken = '${SECRET}'`, "$BootstrapToken = ''");
      const vms = await p.createVms({ ref: REF, placement, image, firewall, vms: [{ nodeName: 'win-demo-0010', script: script('win-demo-0010') }, { nodeName: 'win-demo-0011', script: provision }], concurrency: 2, signal: new AbortController().signal });
      const ids = vms.map((v) => v.instanceId!);
      try {
        assert.ok(readBootstrap(fake, 'win-demo-0010').commandToExecute.includes(SECRET));
        const deletes = () => fake.calls.filter((c) => c.method === 'DELETE' && /\/extensions\/win-k8s-bootstrap$/.test(c.path)).length;
        await p.forgetBootstrap!(ids);
        assert.equal(fake.get(`${ids[0]}/extensions/win-k8s-bootstrap`), undefined, 'the token-bearing extension is gone');
        assert.ok(fake.get(`${ids[1]}/extensions/win-k8s-bootstrap`), 'the provision VM keeps its extension');
        assert.equal(deletes(), 1);
        await p.forgetBootstrap!(ids);
        assert.equal(deletes(), 1, 'nothing to do the second time');
      } finally {
        await p.deleteVms(ids);
      }
    });

    it('reports a quota error on one VM with a hint while the others are created', async () => {
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      const firewall = await p.ensureFirewall(REF, placement);
      fake.faults.failVm.set('win-demo-0005', 'QuotaExceeded');
      fake.faults.failVm.set('win-demo-0006', 'AllocationFailed');
      const results = await provider().createVms({ ref: REF, placement, image, firewall, vms: ['win-demo-0004', 'win-demo-0005', 'win-demo-0006'].map((n) => ({ nodeName: n, script: script(n) })), concurrency: 3, signal: new AbortController().signal });
      assert.equal(results[0]!.error, undefined);
      assert.match(results[1]!.error!, /QuotaExceeded.*quota/s);
      assert.match(results[1]!.error!, /request more/);
      // An operation that fails after ARM accepted it: the code, ARM's message and the hint, and
      // the VM (it exists, Failed) is reported so --on-failure and remove can reach it.
      assert.match(results[2]!.error!, /^AllocationFailed: Allocation failed\..*capacity.* — Azure has no capacity/s);
      assert.match(results[2]!.instanceId!, /\/virtualMachines\/win-demo-0006$/);
      // This provider was not asked for a password file: the earlier file is all there is, unchanged.
      assert.deepEqual(readdirSync(dir), ['admin-password']);
      assert.ok(!readFileSync(pwFile(), 'utf8').includes('win-demo-0004'));
      assert.notEqual(adminPasswordOf(fake, 'win-demo-0004'), adminPasswordOf(fake, 'win-demo-0001'));
      errors.push(...results.map((r) => r.error));
    });

    it('rejects what ARM rejects: long computer names, before anything is created', async () => {
      const image = await p.resolveImage({ windowsVersion: '2022', edition: 'core' });
      const firewall = await p.ensureFirewall(REF, placement);
      const [r] = await provider().createVms({ ref: REF, placement, image, firewall, vms: [{ nodeName: 'win-demo-toolong1', script: script('x') }], concurrency: 1, signal: new AbortController().signal });
      assert.match(r!.error!, /computer name/);
      assert.equal(fake.get(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/win-demo-toolong1-nic`), undefined);
    });

    it('lists by tags, deletes VMs with NICs and disks, then the NSG, leaving nothing behind', async () => {
      const vms = await p.listVms({ cluster: 'demo', pool: 'win' });
      assert.deepEqual(vms.map((v) => v.nodeName).sort(), ['win-demo-0001', 'win-demo-0002', 'win-demo-0003', 'win-demo-0004', 'win-demo-0006']);
      assert.deepEqual(await p.listVms({ cluster: 'other' }), []);
      assert.deepEqual(await p.deletePoolResources(REF), [], 'NSG kept while VMs are left');
      await p.deleteVms(vms.map((v) => v.instanceId));
      assert.deepEqual(await p.listVms({ cluster: 'demo' }), []);
      const deleted = await p.deletePoolResources(REF);
      assert.equal(deleted.length, 1);
      const left = [...fake.resources.values()].filter((r) => String(r.id).includes(`/resourceGroups/${RG}/`) && r.id !== CP_VM && r.id !== CP_NIC);
      assert.deepEqual(left.map((r) => r.id), []);
    });
  });

  it('list, remove and run commands find a pool created in another resource group than this run\'s', async () => {
    const ref = { cluster: 'demo', pool: 'else' };
    const elsewhere = provider({ resourceGroup: 'other-rg' });
    const placement = await elsewhere.resolvePlacement({});
    const firewall = await elsewhere.ensureFirewall(ref, placement);
    const [r] = await elsewhere.createVms({ ref, placement, image: await elsewhere.resolveImage({ windowsVersion: '2022', edition: 'core' }), firewall, vms: [{ nodeName: 'win-else-1', script: script('x') }], concurrency: 1, signal: new AbortController().signal });
    assert.match(r!.instanceId!, /\/resourceGroups\/other-rg\/providers\/Microsoft\.Compute\/virtualMachines\/win-else-1$/);

    // A role scoped to resource groups cannot list the subscription: this run's group only, said in a warning.
    fake.faults.denyPath = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines$/i;
    try {
      assert.deepEqual(await provider().listVms(ref), []);
      assert.ok(events.some((e) => e.level === 'warn' && /across the subscription: looking in resource group k8s-rg only/.test(e.message)));
    } finally {
      fake.faults.denyPath = undefined;
    }

    // This provider's resource group is the control plane's (k8s-rg), not other-rg.
    const here = provider({ tuning: { pollIntervalMs: 20 } });
    const found = await here.listVms(ref);
    assert.deepEqual(found.map((v) => [v.nodeName, v.instanceId, v.state]), [['win-else-1', r!.instanceId, 'running']]);
    fake.runCommand = () => ({ stdout: 'win-k8s-exit-code: 0\n', stderr: '' });
    try {
      assert.equal((await here.runPowerShell!(found[0]!.instanceId, "Write-Output 'x'", { timeoutMs: 30_000 })).exitCode, 0);
    } finally {
      fake.runCommand = undefined;
    }
    await here.deleteVms(found.map((v) => v.instanceId));
    assert.deepEqual(await here.deletePoolResources(ref), [firewall.id]);
    assert.match(firewall.id, /\/resourceGroups\/other-rg\//);
    assert.deepEqual([...fake.resources.values()].filter((x) => String(x.id).includes('/resourceGroups/other-rg/')).map((x) => x.id), []);
  });

  it('retries 5xx answers', async () => {
    fake.faults.unavailable = 2;
    const placement = await provider().resolvePlacement({});
    assert.equal(placement.subnetId, SUBNET);
    assert.equal(fake.faults.unavailable, 0);
  });

  it('honours Retry-After on 429', async () => {
    fake.faults.throttle = 1;
    const started = Date.now();
    assert.deepEqual(await provider().listVms({ cluster: 'nobody' }), []);
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After: 1');
  });

  it('maps AuthorizationFailed to exit 3 with the roles needed', async () => {
    // Both the subscription-wide list and the resource group's.
    fake.faults.deny = 2;
    await assert.rejects(provider().listVms({ cluster: 'demo' }), (e: unknown) => {
      errors.push(e);
      return isWinK8sError(e) && e.exitCode === 3 && /AuthorizationFailed/.test(e.message) && /Contributor/.test(e.hint ?? '');
    });
  });

  it('creates nothing once the signal is aborted', async () => {
    const p = provider();
    const placement = await p.resolvePlacement({});
    const before = fake.resources.size;
    const ac = new AbortController();
    ac.abort();
    const results = await p.createVms({ ref: { cluster: 'demo', pool: 'stop' }, placement, image: await p.resolveImage({ windowsVersion: '2022', edition: 'core' }), firewall: { id: 'unused', created: false }, vms: [{ nodeName: 'win-stop-1', script: script('a') }], concurrency: 1, signal: ac.signal });
    assert.match(results[0]!.error!, /interrupted/);
    assert.equal(fake.resources.size, before);
  });

  it('the fake enforces ARM\'s rules (so the provider is tested against them)', async () => {
    const { createPipelineRequest, createHttpHeaders } = await import('@azure/core-rest-pipeline');
    const put = async (path: string, body: unknown) => {
      const res = await fake.httpClient.sendRequest(
        createPipelineRequest({ url: `${FAKE_ARM_ENDPOINT}/subscriptions/${SUB}/resourceGroups/${RG}/providers/${path}?api-version=2024-07-01`, method: 'PUT', body: JSON.stringify(body), headers: createHttpHeaders({ authorization: 'Bearer fake', 'content-type': 'application/json' }) }),
      );
      return { status: res.status, error: (JSON.parse(res.bodyAsText ?? '{}') as { error?: { code: string; target?: string } }).error };
    };
    const vm = (os: Record<string, unknown>) => ({
      location: 'eastus',
      properties: {
        hardwareProfile: { vmSize: 'Standard_D4s_v5' },
        storageProfile: { imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-g2', version: 'latest' } },
        osProfile: { computerName: 'ok-name', adminUsername: 'winadmin', adminPassword: 'Abcdefgh1234!', ...os },
        networkProfile: { networkInterfaces: [{ id: CP_NIC }] },
      },
    });
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', vm({ computerName: 'sixteen-chars-xx' }))).error?.target, 'computerName');
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', vm({ adminPassword: 'abcdefghijkl' }))).error?.target, 'adminPassword');
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', vm({ adminPassword: 'Ab1!' }))).error?.target, 'adminPassword');
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', vm({ customData: 'A'.repeat(87384) }))).error?.target, 'customData');
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', { ...vm({}), location: undefined })).error?.code, 'LocationRequired');
    const withDisk = (gb: number, sku = '2022-datacenter-g2') => {
      const body = vm({});
      body.properties.storageProfile = { imageReference: { ...body.properties.storageProfile.imageReference, sku }, osDisk: { createOption: 'FromImage', diskSizeGB: gb } } as typeof body.properties.storageProfile;
      return body;
    };
    const small = await put('Microsoft.Compute/virtualMachines/v1', withDisk(100));
    assert.deepEqual([small.status, small.error?.code, small.error?.target], [409, 'OperationNotAllowed', 'osDisk.diskSizeGB']);
    assert.equal((await put('Microsoft.Compute/virtualMachines/v1', withDisk(126))).error?.code, 'OperationNotAllowed');
    assert.match((await put('Microsoft.Compute/virtualMachines/v1', withDisk(20, '2022-datacenter-smalldisk-g2'))).error?.code ?? '', /OperationNotAllowed/);
    assert.equal((await put('Microsoft.Network/networkSecurityGroups/bad%20name', { location: 'eastus' })).error?.code, 'InvalidResourceName');
    assert.equal((await put(`Microsoft.Network/networkInterfaces/${'n'.repeat(81)}`, { location: 'eastus' })).error?.code, 'InvalidResourceName');
    assert.equal(fake.get(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/v1`), undefined);
  });

  it('deletePoolResources also removes NICs left without their VM, which would keep the NSG in use', async () => {
    const p = provider();
    const ref = { cluster: 'demo', pool: 'orph' };
    const fw = await p.ensureFirewall(ref, await p.resolvePlacement({}));
    const nicId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/win-orph-1-nic`;
    fake.seed(nicId, { type: 'Microsoft.Network/networkInterfaces', location: 'eastus', tags: { [AZ_TAG_CLUSTER]: 'demo', [AZ_TAG_POOL]: 'orph' }, properties: { networkSecurityGroup: { id: fw.id }, ipConfigurations: [] } });
    assert.deepEqual(await p.deletePoolResources(ref), [nicId, fw.id]);
    assert.equal(fake.get(nicId), undefined);
    assert.equal(fake.get(fw.id), undefined);
  });

  it('customData carries the script with a token slot; the extension command hands over the token (none for provision; a malformed one is refused)', () => {
    const { customData, commandToExecute } = azureBootstrap('win-demo-0001', script('win-demo-0001'));
    const bin = Buffer.from(customData, 'base64').toString('utf8');
    assert.ok(!bin.includes(SECRET));
    assert.match(scriptFromUserData(bin), new RegExp(`^\\$BootstrapToken = '${TOKEN_SLOT_VALUE}'$`, 'm'));
    assert.match(bin, /^param\(\[Parameter\(Mandatory = \$true\)\] \[AllowEmptyString\(\)\] \[string\]\$Token\)$/m);
    assert.match(commandToExecute, new RegExp(`-Token '${SECRET.replace('.', '\\.')}'`));
    const provision = script('win-demo-0002').replace(`$BootstrapToken = '${SECRET}'`, "$BootstrapToken = ''");
    const p = azureBootstrap('win-demo-0002', provision);
    assert.match(p.commandToExecute, /-Token ''/);
    assert.equal(scriptFromUserData(Buffer.from(p.customData, 'base64').toString('utf8')), provision);
    assert.throws(() => azureBootstrap('win-demo-0003', script('win-demo-0003').replace(SECRET, "abc'; Remove-Item C:\\ -Recurse; '")), /not a kubeadm bootstrap token/);
  });

  it('generates passwords meeting Azure\'s rules', () => {
    for (let i = 0; i < 200; i++) {
      const pw = generateAdminPassword();
      assert.ok(pw.length >= 12 && /[a-z]/.test(pw) && /[A-Z]/.test(pw) && /\d/.test(pw) && /[^A-Za-z0-9]/.test(pw));
    }
  });


  it('maps a missing credential to exit 3', async () => {
    const bad = { getToken: async () => { const e = new Error('no az login'); e.name = 'CredentialUnavailableError'; throw e; } };
    await assert.rejects(provider({ credential: bad }).resolvePlacement({}), (e: unknown) => {
      errors.push(e);
      return isWinK8sError(e) && e.exitCode === 3 && !!e.hint;
    });
  });

  it('maps provisioning and power states onto the words list and the join engine use', () => {
    assert.equal(vmState('Succeeded', 'running'), 'running');
    assert.equal(vmState('Succeeded', 'deallocated'), 'stopped');
    assert.equal(vmState('Succeeded', 'stopping'), 'stopping');
    assert.equal(vmState('Creating', undefined), 'pending');
    assert.equal(vmState('Deleting', 'running'), 'shutting-down');
    assert.equal(vmState('Failed', undefined), 'failed');
  });

  describe('wizardChoices (init)', () => {
    before(() => {
      const other = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/apps-vnet`;
      fake.seed(other, { type: 'Microsoft.Network/virtualNetworks', location: 'eastus', properties: { addressSpace: { addressPrefixes: ['10.9.0.0/16'] } } });
      fake.seed(`${other}/subnets/apps`, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.9.1.0/24' } });
      const far = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/far-vnet`;
      fake.seed(far, { type: 'Microsoft.Network/virtualNetworks', location: 'westus', properties: { addressSpace: { addressPrefixes: ['10.50.0.0/16'] } } });
      fake.seed(`${far}/subnets/far`, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.50.0.0/24' } });
    });

    it('offers the control plane\'s subnet first, other VNets of the location after, and the location\'s node-sized VM sizes', async () => {
      const choices = await provider().wizardChoices!({});
      assert.deepEqual(choices.subnets, [
        { id: SUBNET, cidr: '10.1.0.0/24', zone: 'eastus', network: VNET },
        { id: `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/apps-vnet/subnets/apps`, cidr: '10.9.1.0/24', zone: 'eastus', network: `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/apps-vnet` },
      ]);
      // The default size first; burstable, small and GPU sizes are not offered.
      assert.deepEqual(choices.instanceTypes, ['Standard_D4s_v5', 'Standard_D2s_v5', 'Standard_F4s_v2', 'Standard_E4s_v5', 'Standard_D8s_v5']);
    });

    it('reads the known resource groups when the subscription-wide VNet list is denied', async () => {
      fake.faults.denyPath = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks$/i;
      try {
        const choices = await provider().wizardChoices!({});
        assert.deepEqual(choices.subnets.map((n) => n.id.split('/').pop()), ['nodes', 'apps']);
        assert.ok(fake.calls.some((c) => c.status === 403), 'the subscription list was refused');
      } finally {
        fake.faults.denyPath = undefined;
      }
    });
  });

  describe('runPowerShell (Azure Run Command)', () => {
    const VM = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/win-run-1`;
    const ran: string[] = [];
    /**
     * What the VM does with the wrapper: it must parse; the script inside is unpacked and run by a
     * tiny interpreter (Write-Output, [Console]::Error.WriteLine, exit), then the wrapper's own
     * last statement reports the exit code.
     */
    const simulate = async (vmName: string, wrapper: string) => {
      ran.push(vmName);
      assert.deepEqual(parsePowerShell(wrapper), [], 'the wrapper parses');
      const bytes = Buffer.from(/FromBase64String\('([A-Za-z0-9+/=]+)'\)/.exec(wrapper)![1]!, 'base64');
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with BOM for Windows PowerShell');
      let stdout = '';
      let stderr = '';
      let code = 0;
      for (const line of bytes.subarray(3).toString('utf8').split('\n')) {
        let m: RegExpExecArray | null;
        if ((m = /^Start-Sleep -Milliseconds (\d+)$/.exec(line))) await new Promise((r) => setTimeout(r, Number(m![1])));
        else if ((m = /^Write-Output '(.*)'$/.exec(line))) stdout += `${m[1]}\n`;
        else if ((m = /^Write-Output \('(.)' \* (\d+)\)$/.exec(line))) stdout += `${m[1]!.repeat(Number(m[2]))}\n`;
        else if ((m = /^\[Console\]::Error\.WriteLine\('(.*)'\)$/.exec(line))) stderr += `${m[1]}\n`;
        else if ((m = /^exit (\d+)$/.exec(line))) {
          code = Number(m[1]);
          break;
        }
      }
      const report = /^Write-Output "([^"$]*)\$winK8sExit"$/m.exec(wrapper);
      assert.ok(report, 'the wrapper reports the exit code last');
      assert.ok(wrapper.trimEnd().endsWith(report[0]), 'nothing after the exit code line');
      stdout += `${report[1]}${code}\n`;
      return { stdout, stderr };
    };

    before(() => {
      const vm = fake.seed(VM, { type: 'Microsoft.Compute/virtualMachines', location: 'eastus', tags: {}, properties: { provisioningState: 'Succeeded' } });
      Object.defineProperty(vm, '__power', { value: 'running', writable: true, enumerable: false });
      fake.runCommand = simulate;
    });
    after(() => {
      fake.runCommand = undefined;
      fake.resources.delete(VM.toLowerCase());
    });

    it('returns the script\'s exit code, stdout and stderr', async () => {
      const r = await provider({ tuning: { pollIntervalMs: 20 } }).runPowerShell!(VM, ["Write-Output 'grüße from the node'", "[Console]::Error.WriteLine('a warning')", 'exit 3', "Write-Output 'never'"].join('\n'), { timeoutMs: 30_000 });
      assert.deepEqual(r, { exitCode: 3, stdout: 'grüße from the node\n', stderr: 'a warning\n' });
      const ok = await provider({ tuning: { pollIntervalMs: 20 } }).runPowerShell!(VM, "Write-Output 'fine'", { timeoutMs: 30_000 });
      assert.deepEqual(ok, { exitCode: 0, stdout: 'fine\n', stderr: '' });
      assert.deepEqual(ran, ['win-run-1', 'win-run-1']);
      assert.ok(fake.calls.some((c) => c.method === 'POST' && c.path.endsWith('/virtualMachines/win-run-1/runCommand') && c.status === 202));
    });

    it('says so when Azure\'s 4 KB output limit probably cut stdout, and keeps the exit code', async () => {
      const r = await provider({ tuning: { pollIntervalMs: 20 } }).runPowerShell!(VM, "Write-Output ('x' * 6000)\nexit 1", { timeoutMs: 30_000 });
      assert.equal(r.exitCode, 1);
      assert.ok(r.stdout.length < 4096 && /^x+\n$/.test(r.stdout), 'the tail of stdout');
      assert.match(r.stderr, /only the last 4096 bytes of stdout/);
    });

    it('a timeout stops the waiting and says the script may still run; the VM then refuses a second one', async () => {
      const slow = provider({ tuning: { pollIntervalMs: 20 } });
      await assert.rejects(slow.runPowerShell!(VM, "Start-Sleep -Milliseconds 1500\nWrite-Output 'late'", { timeoutMs: 300 }), (e: unknown) => {
        errors.push(e);
        return isWinK8sError(e) && e.exitCode === 1 && /did not finish within/.test(e.message) && /cannot be cancelled/.test(e.hint ?? '');
      });
      await assert.rejects(slow.runPowerShell!(VM, "Write-Output 'next'", { timeoutMs: 30_000 }), (e: unknown) => isWinK8sError(e) && /another Run Command is still running/.test(e.message));
      await new Promise((r) => setTimeout(r, 1600));
    });

    it('refuses a stopped VM, an interrupted call and an oversized script', async () => {
      const vm = fake.get(VM) as { __power?: string };
      vm.__power = 'deallocated';
      try {
        await assert.rejects(provider().runPowerShell!(VM, "Write-Output 'x'", { timeoutMs: 30_000 }), (e: unknown) => isWinK8sError(e) && /not running/.test(e.message));
      } finally {
        vm.__power = 'running';
      }
      const posts = () => fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/runCommand')).length;
      const before = posts();
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(provider().runPowerShell!(VM, "Write-Output 'x'", { timeoutMs: 30_000, signal: ac.signal }), (e: unknown) => isWinK8sError(e) && e.exitCode === 130);
      await assert.rejects(provider().runPowerShell!(VM, `Write-Output '${'y'.repeat(300_000)}'`, { timeoutMs: 30_000 }), (e: unknown) => isWinK8sError(e) && /KB once wrapped/.test(e.message));
      assert.equal(posts(), before, 'nothing was sent');
    });
  });
});
