import { checkAdminSource } from '../../config/cidr.js';
import { OperationError, UsageError } from '../../errors.js';
import type { FirewallResult, PoolRef, ResolvedPlacement } from '../provider.js';
import type { protos } from './clients.js';
import { isNotFound } from './errors.js';
import { firewallName, lastSegment, poolTag, rdpFirewallName } from './names.js';
import { globalOp, type GceContext, type Scope } from './operations.js';

type Firewall = protos.google.cloud.compute.v1.IFirewall;

/** The ports the bootstrap opens in Windows Firewall (README), opened in the VPC too. */
export const NODE_PORTS = { tcp: ['10250', '10256'], udp: ['4789'] } as const;

/** The pool's firewall rules: node ports from the placement's ranges, and RDP when asked for. */
export function desiredFirewalls(ref: PoolRef, placement: ResolvedPlacement, allowRdpFrom: string | undefined): Firewall[] {
  const tag = poolTag(ref);
  const description = `win-k8s: node ports of pool ${ref.pool} in cluster ${ref.cluster}`;
  const rules: Firewall[] = [
    {
      name: firewallName(ref),
      description,
      network: placement.networkId,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges: placement.networkCidr.split(',').filter(Boolean),
      targetTags: [tag],
      allowed: [
        { IPProtocol: 'tcp', ports: [...NODE_PORTS.tcp] },
        { IPProtocol: 'udp', ports: [...NODE_PORTS.udp] },
      ],
    },
  ];
  const rdp = allowRdpFrom;
  if (rdp) {
    rules.push({
      name: rdpFirewallName(ref),
      description: `win-k8s: RDP to pool ${ref.pool} in cluster ${ref.cluster}`,
      network: placement.networkId,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges: [rdp],
      targetTags: [tag],
      allowed: [{ IPProtocol: 'tcp', ports: ['3389'] }],
    });
  }
  for (const r of rules) {
    for (const range of r.sourceRanges ?? []) {
      // RDP is an admin port: a parsed range no broader than /8 (IPv4) or /32 (IPv6); "/0" as a
      // string check let 0.0.0.0/1 (half of IPv4) and 0.0.0.0/00 through.
      const admin = r.name === rdpFirewallName(ref) ? checkAdminSource(range) : undefined;
      if (admin) throw new UsageError(admin, { field: '--allow-rdp-from' });
      if (/\/0+$/.test(range)) {
        throw new UsageError(`refusing to open ${r.name} to ${range} (the whole internet)`, {
          field: r.name === rdpFirewallName(ref) ? '--allow-rdp-from' : '--subnet-id',
          hint: 'give the admin network\'s CIDR, e.g. 203.0.113.0/24',
        });
      }
    }
  }
  return rules;
}

/** What makes two rules the same, whatever order Compute Engine lists ranges, tags and ports in. */
export function firewallKey(f: Firewall): string {
  const allowed = (f.allowed ?? []).map((a) => `${a.IPProtocol ?? ''}:${[...(a.ports ?? [])].sort().join(',')}`).sort();
  return JSON.stringify([lastSegment(f.network ?? ''), f.direction ?? 'INGRESS', [...(f.sourceRanges ?? [])].sort(), [...(f.targetTags ?? [])].sort(), allowed]);
}

function describeFirewall(f: Firewall): string {
  const ports = (f.allowed ?? []).map((a) => `${a.IPProtocol ?? ''}:${(a.ports ?? []).join(',')}`).join(' ');
  return `${ports} from ${(f.sourceRanges ?? []).join(', ')} to tag ${(f.targetTags ?? []).join(', ')}`;
}

async function getFirewall(ctx: GceContext, s: Scope, name: string): Promise<Firewall | undefined> {
  try {
    const [fw] = await ctx.call('compute.firewalls.get', (c) => c.firewalls.get({ project: s.project, firewall: name }));
    return fw;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Creates or updates the desired rules, and deletes the RDP rule when RDP is no longer asked for. */
export async function ensureFirewall(ctx: GceContext, s: Scope, ref: PoolRef, placement: ResolvedPlacement, allowRdpFrom: string | undefined): Promise<FirewallResult> {
  const desired = desiredFirewalls(ref, placement, allowRdpFrom);
  let created = false;
  for (const want of desired) {
    const name = want.name!;
    const have = await getFirewall(ctx, s, name);
    if (!have) {
      await globalOp(ctx, s, 'compute.firewalls.insert', (c, requestId) => c.firewalls.insert({ project: s.project, requestId, firewallResource: want }));
      ctx.sink({ level: 'success', message: `created firewall rule ${name}: ${describeFirewall(want)}` });
      if (name === firewallName(ref)) created = true;
      continue;
    }
    if (!(have.description ?? '').startsWith('win-k8s:')) {
      throw new OperationError(`firewall rule ${name} exists but was not created by win-k8s`, { hint: 'rename or delete that rule, or choose another pool name with --pool' });
    }
    if (firewallKey(have) === firewallKey(want)) {
      ctx.sink({ level: 'info', message: `firewall rule ${name} is up to date` });
      continue;
    }
    await globalOp(ctx, s, 'compute.firewalls.update', (c, requestId) => c.firewalls.update({ project: s.project, requestId, firewall: name, firewallResource: want }));
    ctx.sink({ level: 'info', message: `updated firewall rule ${name}: ${describeFirewall(want)}` });
  }
  // RDP no longer asked for: close it.
  if (!allowRdpFrom) {
    const rdp = await getFirewall(ctx, s, rdpFirewallName(ref));
    if (rdp && (rdp.description ?? '').startsWith('win-k8s:')) {
      await globalOp(ctx, s, 'compute.firewalls.delete', (c, requestId) => c.firewalls.delete({ project: s.project, requestId, firewall: rdpFirewallName(ref) }));
      ctx.sink({ level: 'info', message: `deleted firewall rule ${rdpFirewallName(ref)}: RDP no longer asked for` });
    }
  }
  return { id: firewallName(ref), created };
}

/** Deletes the pool's rules that win-k8s created; returns their names. */
export async function deletePoolFirewalls(ctx: GceContext, s: Scope, ref: PoolRef): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of [firewallName(ref), rdpFirewallName(ref)]) {
    const fw = await getFirewall(ctx, s, name);
    if (!fw) continue;
    if (!(fw.description ?? '').startsWith('win-k8s:')) {
      ctx.sink({ level: 'warn', message: `not deleting firewall rule ${name}: not created by win-k8s` });
      continue;
    }
    await globalOp(ctx, s, 'compute.firewalls.delete', (c, requestId) => c.firewalls.delete({ project: s.project, requestId, firewall: name }));
    ctx.sink({ level: 'success', message: `deleted firewall rule ${name}` });
    deleted.push(name);
  }
  return deleted;
}
