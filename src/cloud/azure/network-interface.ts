import type { NetworkInterface } from '@azure/arm-network';
import type { PoolRef } from '../provider.js';
import { ignore404, listEverywhere } from './operations.js';
import { parseArmId, type AzureContext } from './session.js';
import { inPool } from './tags.js';

export function nodeNicName(nodeName: string): string {
  return `${nodeName}-nic`;
}

/** A node's network interface: desired state only, no call. */
export function nicModel(p: { location: string; tags: Record<string, string>; nsgId: string; subnetId: string }): NetworkInterface {
  return {
    location: p.location,
    tags: p.tags,
    networkSecurityGroup: { id: p.nsgId },
    // No publicIPAddress: nodes are reached from the VNet only.
    ipConfigurations: [{ name: 'ipconfig1', primary: true, privateIPAllocationMethod: 'Dynamic', subnet: { id: p.subnetId } }],
  };
}

/** The pool's network interfaces that have no VM; the ids of those deleted. */
export async function deleteOrphanNics(ctx: AzureContext, ref: PoolRef): Promise<string[]> {
  const deleted: string[] = [];
  // A run killed between the NIC and the VM create leaves a NIC that keeps the NSG in use.
  const nics = await listEverywhere(ctx, 'network interfaces', () => ctx.s.network.networkInterfaces.listAll(), (rg) => ctx.s.network.networkInterfaces.list(rg));
  for (const nic of nics) {
    const id = nic.id ? parseArmId(nic.id, 'Microsoft.Network/networkInterfaces') : undefined;
    if (!inPool(nic.tags, ref) || nic.virtualMachine || !id) continue;
    await ignore404(ctx.s.network.networkInterfaces.beginDeleteAndWait(id.resourceGroup, id.name, ctx.lro()));
    ctx.sink({ level: 'info', message: `deleted network interface ${id.name} (left without its VM)` });
    deleted.push(nic.id!);
  }
  return deleted;
}
