import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeArm, type FakeArm } from '../fakes/arm/index.js';
import { CP_NIC, CP_VM, RG, SUB, SUBNET, VNET } from '../fakes/arm/ids.js';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import type { RemovePlan } from '../../src/pool/result.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const NSG = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${name}`;

/** An NSG rule as ARM's REST API carries it (the SDK flattens `properties`). */
const rule = (nsg: string, name: string, priority: number, protocol: string, port: string, source: { sourceAddressPrefix: string } | { sourceAddressPrefixes: string[] }) => ({
  id: `${nsg}/securityRules/${name}`,
  name,
  properties: { priority, direction: 'Inbound', access: 'Allow', protocol, sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: port, ...source, provisioningState: 'Succeeded' },
});

/** `remove --dry-run` on Azure names the pool's NSG (found by tags, in any group) with its rules, and only reads. */
describe('remove --dry-run on Azure shows the network security group it would delete (ARM fake)', function () {
  this.timeout(60_000);
  let arm: FakeArm;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let caBundle: string;

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = { PATH: process.env.PATH ?? '', HOME: dir, AZURE_ARM_ENDPOINT: arm.url, IDENTITY_ENDPOINT: arm.identity.endpoint, IDENTITY_HEADER: arm.identity.header, NODE_EXTRA_CA_CERTS: caBundle, NO_COLOR: '1' };
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'remove-azure-'));
    arm = await startFakeArm({ subscription: SUB, staticTokens: [], vmSizes: { eastus: ['Standard_D4s_v5'] } });
    arm.seed(VNET, { type: 'Microsoft.Network/virtualNetworks', location: 'eastus', properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16'] } } });
    arm.seed(SUBNET, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.1.0.0/24' } });
    arm.seed(CP_NIC, { type: 'Microsoft.Network/networkInterfaces', location: 'eastus', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { primary: true, subnet: { id: SUBNET }, privateIPAddress: '10.1.0.4' } }] } });
    arm.seed(CP_VM, { type: 'Microsoft.Compute/virtualMachines', location: 'eastus', properties: { networkProfile: { networkInterfaces: [{ id: CP_NIC, properties: { primary: true } }] } } });
    // The pool's NSG, in another group than this run's (a join with --resource-group made it).
    const ours = NSG('nodes-rg', 'win-k8s-kubernetes-win');
    arm.seed(ours, {
      type: 'Microsoft.Network/networkSecurityGroups',
      location: 'eastus',
      tags: { 'win-k8s.io_cluster': 'kubernetes', 'win-k8s.io_pool': 'win' },
      properties: {
        securityRules: [
          rule(ours, 'win-k8s-rdp', 1100, 'Tcp', '3389', { sourceAddressPrefix: '203.0.113.7/32' }),
          rule(ours, 'win-k8s-kubelet', 1000, 'Tcp', '10250', { sourceAddressPrefixes: ['10.1.0.0/16'] }),
          rule(ours, 'win-k8s-vxlan', 1020, 'Udp', '4789', { sourceAddressPrefixes: ['10.1.0.0/16'] }),
        ],
        provisioningState: 'Succeeded',
      },
    });
    // Same name, no win-k8s tags: someone else's, never listed.
    arm.seed(NSG(RG, 'win-k8s-kubernetes-win'), { type: 'Microsoft.Network/networkSecurityGroups', location: 'eastus', tags: {}, properties: { securityRules: [], provisioningState: 'Succeeded' } });
    const inherited = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
    caBundle = join(dir, 'ca.pem');
    writeFileSync(caBundle, `${inherited.trimEnd()}\n${arm.caPem}`);
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    const cp = fake.store.get('nodes', undefined, 'cp-1')!;
    (cp.spec as { providerID: string }).providerID = `azure://${CP_VM}`;
    fake.store.put(cp);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
  });

  after(async () => {
    await fake?.stop();
    await arm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the tagged NSG by id with its rules in priority order, not the untagged one, and deletes nothing', async () => {
    const from = arm.calls.length;
    const r = await cli(['remove', '--pool', 'win', '--cloud', 'azure', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as RemovePlan;
    assert.deepEqual(plan.poolFirewalls, [
      {
        pool: 'win',
        cloud: 'azure',
        firewalls: [
          {
            id: NSG('nodes-rg', 'win-k8s-kubernetes-win'),
            name: 'win-k8s-kubernetes-win',
            rules: [
              'inbound allow tcp 10250 from 10.1.0.0/16 (win-k8s-kubelet, priority 1000)',
              'inbound allow udp 4789 from 10.1.0.0/16 (win-k8s-vxlan, priority 1020)',
              'inbound allow tcp 3389 from 203.0.113.7/32 (win-k8s-rdp, priority 1100)',
            ],
          },
        ],
      },
    ]);
    const writes = arm.calls.slice(from).filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);
    assert.deepEqual(writes, [], 'a dry run only reads');
    const human = await cli(['remove', '--pool', 'win', '--cloud', 'azure', '--dry-run']);
    assert.match(human.stdout, /^would delete \/subscriptions\/.*\/networkSecurityGroups\/win-k8s-kubernetes-win \(win-k8s-kubernetes-win\) of pool win, with its rules:\n {2}inbound allow tcp 10250/m);
  });
});
