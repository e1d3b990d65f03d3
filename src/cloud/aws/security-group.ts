import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { checkAdminSource } from '../../config/cidr.js';
import { OperationError, UsageError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import { TAG_CLUSTER, TAG_POOL, type FirewallResult, type PoolRef, type ResolvedPlacement } from '../provider.js';
import { awsMessage, guard, hasAwsCode } from './errors.js';
import { poolTags, tagFilters, tagSpecs, tagValue } from './tags.js';
import { jitter, sleep } from './wait.js';

/** The ports the bootstrap opens in Windows Firewall (README), opened here in the VPC too. */
export const NODE_PORTS = [
  { protocol: 'tcp', port: 10250, what: 'kubelet' },
  { protocol: 'tcp', port: 10256, what: 'kube-proxy health' },
  { protocol: 'udp', port: 4789, what: 'VXLAN (flannel, Calico)' },
] as const;
export const RDP_PORT = 3389;
/** The API server's port on the control plane (kubeadm's default), opened there to the pool's group only. */
export const API_SERVER_PORT = 6443;

/**
 * What the control plane's group admits from the pool's group, and nothing more: the API
 * server, and the overlay's VXLAN, without which Windows pods cannot reach pods on the
 * control plane (CoreDNS on a kubeadm cluster) — as members of its groups they once could.
 */
export const CONTROL_PLANE_ADMITS = [
  { protocol: 'tcp', port: API_SERVER_PORT, what: 'API server' },
  { protocol: 'udp', port: 4789, what: 'VXLAN (flannel, Calico)' },
] as const;

export interface Rule {
  protocol: string;
  fromPort: number;
  toPort: number;
  source: { cidr: string } | { cidrV6: string } | { group: string } | { prefixList: string };
  description?: string;
}

export interface FirewallLookup {
  ec2: EC2Client;
  region: string;
  sink: EventSink;
}

export function securityGroupName(ref: PoolRef): string {
  return `win-k8s-${ref.cluster}-${ref.pool}`;
}

/** The control plane's groups as the pool's rules name them: referred to, not joined. */
function controlPlaneGroups(placement: ResolvedPlacement): string[] {
  return [...new Set([...(placement.controlPlaneFirewallIds ?? []), ...placement.extraFirewallIds])];
}

/**
 * Node ports from the VPC's range and from the control plane's groups, RDP only from the
 * admin network asked for. Never from anywhere: a source broader than /8 (IPv6: /32) is
 * refused even if asked.
 */
export function desiredRules(placement: ResolvedPlacement, allowRdpFrom: string | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const p of NODE_PORTS) {
    rules.push({ protocol: p.protocol, fromPort: p.port, toPort: p.port, source: { cidr: placement.networkCidr }, description: `${p.what} from the VPC` });
    for (const group of controlPlaneGroups(placement)) {
      rules.push({ protocol: p.protocol, fromPort: p.port, toPort: p.port, source: { group }, description: `${p.what} from the control plane` });
    }
  }
  if (allowRdpFrom) {
    const source = allowRdpFrom.includes(':') ? { cidrV6: allowRdpFrom } : { cidr: allowRdpFrom };
    rules.push({ protocol: 'tcp', fromPort: RDP_PORT, toPort: RDP_PORT, source, description: 'RDP from the admin network' });
  }
  for (const r of rules) {
    const cidr = 'cidr' in r.source ? r.source.cidr : 'cidrV6' in r.source ? r.source.cidrV6 : undefined;
    // The prefix is parsed, not string-matched: 0.0.0.0/1 is half of IPv4 and 0.0.0.0/00 is all of it.
    const problem = cidr ? checkAdminSource(cidr) : undefined;
    if (cidr && problem) {
      const rdp = r.fromPort === RDP_PORT;
      // checkAdminSource words it for any admin port; this one names its port.
      throw new UsageError(problem.replace(/^refusing to open an admin port to /, `refusing to open port ${r.fromPort} to `), {
        field: rdp ? '--allow-rdp-from' : '--subnet-id',
        hint: rdp ? 'give the admin network\'s CIDR, e.g. 203.0.113.0/24 (at most a /8 for IPv4, a /32 for IPv6)' : 'the VPC\'s CIDR is this broad: give a --subnet-id in a VPC with a narrower range',
      });
    }
  }
  return rules;
}

export function ruleKey(r: Rule): string {
  const s = r.source;
  const source = 'cidr' in s ? s.cidr : 'cidrV6' in s ? s.cidrV6 : 'group' in s ? s.group : s.prefixList;
  return `${r.protocol}|${r.fromPort}|${r.toPort}|${source}`;
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };

/** One Rule per source, the way the console lists them. */
export function flattenPermissions(perms: IpPermission[] | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const p of perms ?? []) {
    const protocol = PROTOCOL_NUMBERS[p.IpProtocol ?? ''] ?? p.IpProtocol ?? '-1';
    const base = { protocol, fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) if (r.CidrIp) rules.push({ ...base, source: { cidr: r.CidrIp }, ...(r.Description ? { description: r.Description } : {}) });
    for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6) rules.push({ ...base, source: { cidrV6: r.CidrIpv6 }, ...(r.Description ? { description: r.Description } : {}) });
    for (const g of p.UserIdGroupPairs ?? []) if (g.GroupId) rules.push({ ...base, source: { group: g.GroupId }, ...(g.Description ? { description: g.Description } : {}) });
    for (const l of p.PrefixListIds ?? []) if (l.PrefixListId) rules.push({ ...base, source: { prefixList: l.PrefixListId } });
  }
  return rules;
}

/** Descriptions are left out when revoking: AWS matches rules by protocol, ports and source. */
function toPermission(r: Rule, withDescription: boolean): IpPermission {
  const s = r.source;
  const base: IpPermission = { IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort };
  const Description = withDescription ? r.description : undefined;
  if ('cidr' in s) return { ...base, IpRanges: [{ CidrIp: s.cidr, ...(Description ? { Description } : {}) }] };
  if ('cidrV6' in s) return { ...base, Ipv6Ranges: [{ CidrIpv6: s.cidrV6, ...(Description ? { Description } : {}) }] };
  if ('group' in s) return { ...base, UserIdGroupPairs: [{ GroupId: s.group, ...(Description ? { Description } : {}) }] };
  return { ...base, PrefixListIds: [{ PrefixListId: s.prefixList }] };
}

/**
 * Finds or creates the pool's group and makes its ingress rules exactly the desired ones: a
 * re-run with RDP no longer asked for closes RDP. The group is recognised by name and tags; a
 * same-named group without win-k8s's tags is someone else's and is left alone.
 */
export async function ensureFirewall(ctx: FirewallLookup, ref: PoolRef, placement: ResolvedPlacement, allowRdpFrom: string | undefined): Promise<FirewallResult> {
  const desired = desiredRules(placement, allowRdpFrom);
  const name = securityGroupName(ref);
  const found = await findByName(ctx, placement.networkId, name);
  const { group, created } = found ? { group: found, created: false } : await create(ctx, ref, placement.networkId, name);
  if (tagValue(group.Tags, TAG_CLUSTER) !== ref.cluster || tagValue(group.Tags, TAG_POOL) !== ref.pool) {
    throw new OperationError(`security group ${group.GroupId} (${name}) in ${placement.networkId} exists but was not created by win-k8s for this pool`, {
      hint: 'rename or delete that group, or choose another pool name with --pool',
    });
  }
  const groupId = group.GroupId!;
  const current = flattenPermissions(group.IpPermissions);
  const wanted = new Set(desired.map(ruleKey));
  const have = new Set(current.map(ruleKey));
  const missing = desired.filter((r) => !have.has(ruleKey(r)));
  const extra = current.filter((r) => !wanted.has(ruleKey(r)));

  if (extra.length > 0) {
    await guard({ action: 'ec2:RevokeSecurityGroupIngress', region: ctx.region }, () =>
      ctx.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: extra.map((r) => toPermission(r, false)) })),
    );
    ctx.sink({ level: 'info', message: `security group ${groupId}: closed ${extra.map(describeRule).join(', ')}` });
  }
  if (missing.length > 0) {
    await guard({ action: 'ec2:AuthorizeSecurityGroupIngress', region: ctx.region }, () => authorize(ctx.ec2, groupId, missing));
  }
  ctx.sink({
    level: created ? 'success' : 'info',
    message: created
      ? `created security group ${groupId} (${name}): ${desired.map(describeRule).join(', ')}`
      : `security group ${groupId} (${name}) ${missing.length + extra.length === 0 ? 'is up to date' : `updated: opened ${missing.length}, closed ${extra.length} rules`}`,
  });
  await admitToControlPlane(ctx, ref, groupId, controlPlaneGroups(placement)[0]);
  return { id: groupId, created };
}

function controlPlaneRuleDescription(ref: PoolRef, what: string): string {
  return `win-k8s: ${what} for pool ${ref.pool} of cluster ${ref.cluster}`;
}

/**
 * Ingress rules on the control plane's (first) group from the pool's group (CONTROL_PLANE_ADMITS),
 * so the nodes reach it without being members. Tagged with the pool, so that `remove` finds
 * and revokes them: EC2 refuses to delete a group another group's rule still refers to.
 */
async function admitToControlPlane(ctx: FirewallLookup, ref: PoolRef, poolGroupId: string, cpGroupId: string | undefined): Promise<void> {
  if (!cpGroupId) return;
  const out = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () => ctx.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [cpGroupId] })));
  const existing = flattenPermissions(out.SecurityGroups?.[0]?.IpPermissions);
  const missing = CONTROL_PLANE_ADMITS.filter(
    (a) => !existing.some((r) => r.protocol === a.protocol && r.fromPort <= a.port && r.toPort >= a.port && 'group' in r.source && r.source.group === poolGroupId),
  );
  if (missing.length === 0) return;
  await guard({ action: 'ec2:AuthorizeSecurityGroupIngress', region: ctx.region }, async () => {
    try {
      await ctx.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: cpGroupId,
          IpPermissions: missing.map((a) => ({ IpProtocol: a.protocol, FromPort: a.port, ToPort: a.port, UserIdGroupPairs: [{ GroupId: poolGroupId, Description: controlPlaneRuleDescription(ref, a.what) }] })),
          TagSpecifications: tagSpecs(['security-group-rule'], poolTags(ref)),
        }),
      );
    } catch (err) {
      if (!hasAwsCode(err, 'InvalidPermission.Duplicate')) throw err;
    }
  });
  ctx.sink({ level: 'info', message: `control plane security group ${cpGroupId}: admits ${missing.map((a) => `${a.protocol} ${a.port} (${a.what})`).join(' and ')} from ${poolGroupId} (the pool's nodes)` });
}

/** Revokes the rules win-k8s added for the pool on other groups (found by the pool's tags). */
async function revokeReferences(ctx: FirewallLookup, ref: PoolRef, poolGroupId: string): Promise<void> {
  const out = await guard({ action: 'ec2:DescribeSecurityGroupRules', region: ctx.region }, () =>
    ctx.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: tagFilters(ref) })),
  );
  const byGroup = new Map<string, string[]>();
  for (const rule of out.SecurityGroupRules ?? []) {
    if (rule.IsEgress || !rule.GroupId || !rule.SecurityGroupRuleId || rule.GroupId === poolGroupId) continue;
    if (rule.ReferencedGroupInfo?.GroupId !== poolGroupId) continue;
    byGroup.set(rule.GroupId, [...(byGroup.get(rule.GroupId) ?? []), rule.SecurityGroupRuleId]);
  }
  for (const [groupId, ruleIds] of byGroup) {
    try {
      await ctx.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }));
    } catch (err) {
      // Gone already (the group, or the rule by someone's hand): the goal is reached.
      if (!hasAwsCode(err, 'InvalidGroup.NotFound', 'InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound')) {
        return guard({ action: 'ec2:RevokeSecurityGroupIngress', region: ctx.region }, () => Promise.reject(err));
      }
    }
    ctx.sink({ level: 'info', message: `security group ${groupId}: revoked the rule admitting ${poolGroupId} (pool ${ref.pool})` });
  }
}

/** Groups other than the group itself whose ingress or egress rules name it as source or destination. */
async function referringGroups(ctx: FirewallLookup, groupId: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const name of ['ip-permission.group-id', 'egress.ip-permission.group-id']) {
    const out = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () =>
      ctx.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: name, Values: [groupId] }] })),
    );
    for (const g of out.SecurityGroups ?? []) if (g.GroupId && g.GroupId !== groupId) ids.add(g.GroupId);
  }
  return [...ids].sort();
}

async function authorize(ec2: EC2Client, groupId: string, rules: Rule[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: rules.map((r) => toPermission(r, true)) }));
      return;
    } catch (err) {
      // Another run added the same rules in between: the goal is reached.
      if (hasAwsCode(err, 'InvalidPermission.Duplicate')) return;
      // A group just created may not be visible to the next call yet (eventual consistency).
      if (attempt >= 5 || !hasAwsCode(err, 'InvalidGroup.NotFound')) throw err;
      await sleep(jitter(500 * attempt));
    }
  }
}

function describeRule(r: Rule): string {
  const s = r.source;
  const from = 'cidr' in s ? s.cidr : 'cidrV6' in s ? s.cidrV6 : 'group' in s ? s.group : s.prefixList;
  const ports = r.protocol === '-1' ? 'all' : `${r.protocol} ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`;
  return `${ports} from ${from}`;
}

async function findByName(ctx: FirewallLookup, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () =>
    ctx.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: [name] },
        ],
      }),
    ),
  );
  return out.SecurityGroups?.[0];
}

async function create(ctx: FirewallLookup, ref: PoolRef, vpcId: string, name: string): Promise<{ group: SecurityGroup; created: boolean }> {
  try {
    const out = await ctx.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: `win-k8s Windows nodes of pool ${ref.pool} in cluster ${ref.cluster}`,
        VpcId: vpcId,
        TagSpecifications: tagSpecs(['security-group'], poolTags(ref, { Name: name })),
      }),
    );
    return { group: { GroupId: out.GroupId!, GroupName: name, VpcId: vpcId, Tags: poolTags(ref, { Name: name }), IpPermissions: [] }, created: true };
  } catch (err) {
    // A concurrent run created it first.
    if (hasAwsCode(err, 'InvalidGroup.Duplicate')) {
      const existing = await findByName(ctx, vpcId, name);
      if (existing) return { group: existing, created: false };
    }
    return guard({ action: 'ec2:CreateSecurityGroup', region: ctx.region }, () => Promise.reject(err));
  }
}

export interface DeleteTiming {
  /** How long to keep retrying while ENIs of terminated instances still hold the group. */
  dependencyTimeoutMs: number;
  dependencyRetryMs: number;
}

/** Deletes the pool's groups (found by tags, in any VPC); returns the ids deleted. */
export async function deletePoolGroups(ctx: FirewallLookup, ref: PoolRef, timing: DeleteTiming): Promise<string[]> {
  const out = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () =>
    ctx.ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagFilters(ref) })),
  );
  const deleted: string[] = [];
  for (const group of out.SecurityGroups ?? []) {
    const id = group.GroupId!;
    await revokeReferences(ctx, ref, id);
    if (await deleteGroup(ctx, id, timing)) {
      deleted.push(id);
      ctx.sink({ level: 'success', message: `deleted security group ${id} (${group.GroupName})` });
    }
  }
  return deleted;
}

async function deleteGroup(ctx: FirewallLookup, id: string, timing: DeleteTiming): Promise<boolean> {
  const deadline = Date.now() + timing.dependencyTimeoutMs;
  let delay = timing.dependencyRetryMs;
  for (;;) {
    try {
      await ctx.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
      return true;
    } catch (err) {
      if (hasAwsCode(err, 'InvalidGroup.NotFound')) return false;
      if (!hasAwsCode(err, 'DependencyViolation')) return guard({ action: 'ec2:DeleteSecurityGroup', region: ctx.region }, () => Promise.reject(err));
      // A rule of another group that refers to this one does not go away by waiting.
      const referrers = await referringGroups(ctx, id);
      if (referrers.length > 0) {
        throw new OperationError(`security group ${id} is still in use: ${awsMessage(err)}`, {
          hint: `rules of ${referrers.join(', ')} refer to it and were not added by win-k8s: remove them (\`aws ec2 describe-security-groups --filters Name=ip-permission.group-id,Values=${id}\`) and run the removal again`,
        });
      }
      if (Date.now() >= deadline) {
        throw new OperationError(`security group ${id} is still in use: ${awsMessage(err)}`, {
          hint: `a network interface or another group's rule still refers to it: \`aws ec2 describe-network-interfaces --filters Name=group-id,Values=${id}\` shows which; run the removal again once it is gone`,
        });
      }
      ctx.sink({ level: 'debug', message: `security group ${id} still attached to detaching network interfaces; retrying` });
      await sleep(jitter(delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }
}
