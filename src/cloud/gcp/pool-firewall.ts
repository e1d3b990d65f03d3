import type { PoolFirewallDescription, PoolRef } from '../provider.js';
import type { protos } from './clients.js';
import { isNotFound } from './errors.js';
import { firewallName, lastSegment, rdpFirewallName } from './names.js';
import type { GceContext, Scope } from './operations.js';

type Firewall = protos.google.cloud.compute.v1.IFirewall;

function ruleTexts(f: Firewall): string[] {
  const from = (f.sourceRanges ?? []).join(', ') || 'nowhere';
  const to = (f.targetTags ?? []).length > 0 ? ` to instances tagged ${(f.targetTags ?? []).join(', ')}` : '';
  const where = f.network ? ` in network ${lastSegment(f.network)}` : '';
  return (f.allowed ?? []).map((a) => `${(f.direction ?? 'INGRESS').toLowerCase()} ${a.IPProtocol ?? ''} ${(a.ports ?? []).join(',') || 'all ports'} from ${from}${to}${where}`);
}

/**
 * The pool's firewall rules that deletePoolFirewalls would delete (by name, created by win-k8s
 * as their description says), with what each allows. Reads only, for `remove --dry-run`.
 */
export async function describePoolFirewalls(ctx: GceContext, s: Scope, ref: PoolRef): Promise<PoolFirewallDescription[]> {
  const found: PoolFirewallDescription[] = [];
  for (const name of [firewallName(ref), rdpFirewallName(ref)]) {
    let fw: Firewall | undefined;
    try {
      [fw] = await ctx.call('compute.firewalls.get', (c) => c.firewalls.get({ project: s.project, firewall: name }));
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    if (!fw || !(fw.description ?? '').startsWith('win-k8s:')) continue;
    found.push({ id: String(fw.id ?? name), name, rules: ruleTexts(fw) });
  }
  return found;
}
