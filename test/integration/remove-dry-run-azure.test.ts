import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { FakeArm } from '../fakes/arm/index.js';
import { RG, SUB } from '../fakes/arm/ids.js';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { armCliEnv, armCredentials, startAzureCliEnv } from '../helpers/azure-cli-env.js';
import { spawnCli } from '../helpers/spawn-cli.js';
import type { RemovePlan } from '../../src/pool/result.js';

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

  const cli = (args: string[]) => spawnCli(args, { ...armCliEnv(dir, arm, caBundle), ...armCredentials(arm) }, kubeconfig);

  before(async () => {
    ({ dir, arm, fake, kubeconfig, caBundle } = await startAzureCliEnv({ prefix: 'remove-azure-', vmSizes: ['Standard_D4s_v5'] }));
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
