import type { SecurityRule } from '@azure/arm-network';
import { checkAdminSource } from '../../config/cidr.js';
import { UsageError } from '../../errors.js';
import type { FirewallResult, PoolRef, ResolvedPlacement } from '../provider.js';
import { azureStatus } from './errors.js';
import { ignore404, listEverywhere } from './operations.js';
import { parseArmId, type AzureContext } from './session.js';
import { inPool, poolTags } from './tags.js';

const NODE_PORTS: { name: string; protocol: 'Tcp' | 'Udp'; port: string }[] = [
  { name: 'kubelet', protocol: 'Tcp', port: '10250' },
  { name: 'kube-proxy-health', protocol: 'Tcp', port: '10256' },
  { name: 'vxlan', protocol: 'Udp', port: '4789' },
];

/** One network security group per pool, in this run's resource group. */
export function nsgName(ref: PoolRef): string {
  return `win-k8s-${ref.cluster}-${ref.pool}`.slice(0, 80);
}

/**
 * Allow rules only. They do not close anything: Azure's default AllowVnetInBound (priority 65000)
 * still admits every port from the VirtualNetwork service tag (the VNet, peered VNets, VPN and
 * ExpressRoute ranges). A deny rule below these would break what crosses the VNet unannounced:
 * pod traffic without encapsulation (Calico without VXLAN), NodePorts, Calico's BGP on 179. The
 * README says so; narrowing it is the cluster owner's decision, not one win-k8s makes silently.
 */
export function nsgRules(placement: ResolvedPlacement, allowRdpFrom: string | undefined): SecurityRule[] {
  const sources = placement.networkCidr.split(',').filter(Boolean);
  const rules: SecurityRule[] = NODE_PORTS.map((p, i) => ({
    name: `win-k8s-${p.name}`,
    priority: 1000 + i * 10,
    direction: 'Inbound',
    access: 'Allow',
    protocol: p.protocol,
    sourcePortRange: '*',
    sourceAddressPrefixes: sources,
    destinationAddressPrefix: '*',
    destinationPortRange: p.port,
  }));
  const rdp = allowRdpFrom;
  if (rdp !== undefined) {
    // A parsed range no broader than /8 (IPv4) or /32 (IPv6); '*', 'Internet' and the other
    // service tags are not CIDRs and are refused with it (a "/0" string check let 0.0.0.0/1 by).
    const problem = checkAdminSource(rdp);
    if (problem) throw new UsageError(`RDP: ${problem}`, { field: '--allow-rdp-from', hint: 'give your own address or range, e.g. 203.0.113.7/32' });
    rules.push({ name: 'win-k8s-rdp', priority: 1100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourcePortRange: '*', sourceAddressPrefix: rdp, destinationAddressPrefix: '*', destinationPortRange: '3389' });
  }
  return rules;
}

export function sameRules(have: SecurityRule[], want: SecurityRule[]): boolean {
  const key = (r: SecurityRule) =>
    JSON.stringify([r.name, r.priority, r.direction, r.access, r.protocol, r.destinationPortRange, [...(r.sourceAddressPrefixes ?? [])].sort(), r.sourceAddressPrefix ?? '']);
  const a = have.map(key).sort();
  const b = want.map(key).sort();
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The pool's NSG with exactly the wanted rules: created, updated when they differ, else left alone. */
export async function ensureFirewall(ctx: AzureContext, ref: PoolRef, placement: ResolvedPlacement, allowRdpFrom: string | undefined): Promise<FirewallResult> {
  const rg = ctx.rg();
  const name = nsgName(ref);
  const wanted = nsgRules(placement, allowRdpFrom);
  const existing = await ctx.s.network.networkSecurityGroups.get(rg, name).catch((err: unknown) => {
    if (azureStatus(err) === 404) return undefined;
    throw err;
  });
  if (existing?.id && sameRules(existing.securityRules ?? [], wanted)) {
    ctx.sink({ level: 'debug', message: `network security group ${name} is up to date` });
    return { id: existing.id, created: false };
  }
  const nsg = await ctx.s.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    rg,
    name,
    { location: placement.region, tags: poolTags(ref), securityRules: wanted },
    ctx.lro(),
  );
  ctx.sink({ level: 'info', message: `${existing ? 'updated' : 'created'} network security group ${name} (node ports from ${placement.networkCidr}${allowRdpFrom ? `, RDP from ${allowRdpFrom}` : ''})` });
  return { id: nsg.id!, created: !existing };
}

/** The pool's NSGs, found by their tags; the ids of those deleted. */
export async function deletePoolNsgs(ctx: AzureContext, ref: PoolRef): Promise<string[]> {
  const deleted: string[] = [];
  // Found by its tags wherever it is: the group of the join that created it, not of this run.
  const nsgs = await listEverywhere(ctx, 'network security groups', () => ctx.s.network.networkSecurityGroups.listAll(), (rg) => ctx.s.network.networkSecurityGroups.list(rg));
  for (const nsg of nsgs) {
    const id = nsg.id ? parseArmId(nsg.id, 'Microsoft.Network/networkSecurityGroups') : undefined;
    if (!inPool(nsg.tags, ref) || !id) continue;
    await ignore404(ctx.s.network.networkSecurityGroups.beginDeleteAndWait(id.resourceGroup, id.name, ctx.lro()));
    ctx.sink({ level: 'info', message: `deleted network security group ${id.name}` });
    deleted.push(nsg.id!);
  }
  return deleted;
}
