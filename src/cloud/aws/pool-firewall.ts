import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { PoolFirewallDescription, PoolRef } from '../provider.js';
import { guard } from './errors.js';
import { flattenPermissions, type FirewallLookup, type Rule } from './security-group.js';
import { tagFilters } from './tags.js';

function ruleText(r: Rule): string {
  const s = r.source;
  const from = 'cidr' in s ? s.cidr : 'cidrV6' in s ? s.cidrV6 : 'group' in s ? s.group : s.prefixList;
  const ports = r.protocol === '-1' ? 'all traffic' : `${r.protocol} ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`;
  return `${ports} from ${from}${r.description ? ` (${r.description})` : ''}`;
}

/**
 * The pool's security groups with their ingress rules, and the rules win-k8s added for the pool
 * on other groups (the control plane's), found the way deletePoolGroups finds them: by tags.
 * Reads only, for `remove --dry-run`.
 */
export async function describePoolGroups(ctx: FirewallLookup, ref: PoolRef): Promise<PoolFirewallDescription[]> {
  const groups = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () => ctx.ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagFilters(ref) })));
  const tagged = await guard({ action: 'ec2:DescribeSecurityGroupRules', region: ctx.region }, () => ctx.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: tagFilters(ref) })));
  return (groups.SecurityGroups ?? []).map((g) => {
    const id = g.GroupId ?? '';
    const elsewhere = (tagged.SecurityGroupRules ?? []).filter((r) => !r.IsEgress && r.GroupId && r.GroupId !== id && r.ReferencedGroupInfo?.GroupId === id);
    return {
      id,
      name: g.GroupName ?? id,
      rules: [
        ...flattenPermissions(g.IpPermissions).map(ruleText),
        ...elsewhere.map((r) => `on ${r.GroupId}: ${r.IpProtocol} ${r.FromPort === r.ToPort ? r.FromPort : `${r.FromPort}-${r.ToPort}`} from ${id} (${r.SecurityGroupRuleId}, revoked first)`),
      ],
    };
  });
}
