import type { SecurityRule } from '@azure/arm-network';
import type { PoolFirewallDescription, PoolRef } from '../provider.js';
import { listEverywhere } from './operations.js';
import type { AzureContext } from './session.js';
import { inPool } from './tags.js';

function ruleText(r: SecurityRule): string {
  const ports = r.destinationPortRange ?? (r.destinationPortRanges ?? []).join(',');
  const from = r.sourceAddressPrefix ?? (r.sourceAddressPrefixes ?? []).join(', ');
  return `${(r.direction ?? 'Inbound').toLowerCase()} ${(r.access ?? 'Allow').toLowerCase()} ${(r.protocol ?? '*').toLowerCase()} ${ports || '*'} from ${from || '*'} (${r.name ?? ''}, priority ${r.priority ?? '?'})`;
}

/**
 * The pool's network security groups with their rules, found by tags wherever they are, as
 * deletePoolNsgs finds them. Reads only, for `remove --dry-run`.
 */
export async function describePoolNsgs(ctx: AzureContext, ref: PoolRef): Promise<PoolFirewallDescription[]> {
  const nsgs = await listEverywhere(ctx, 'network security groups', () => ctx.s.network.networkSecurityGroups.listAll(), (rg) => ctx.s.network.networkSecurityGroups.list(rg));
  return nsgs
    .filter((nsg) => nsg.id && inPool(nsg.tags, ref))
    .map((nsg) => ({ id: nsg.id!, name: nsg.name ?? nsg.id!, rules: [...(nsg.securityRules ?? [])].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0)).map(ruleText) }));
}
