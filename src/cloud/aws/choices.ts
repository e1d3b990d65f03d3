import { DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { WizardChoices } from '../provider.js';
import { guard } from './errors.js';

/** Windows-capable x86 types init offers, in the order a platform team usually picks them. */
export const CANDIDATE_TYPES = ['m5.large', 'm5.xlarge', 'm6i.large', 'm6i.xlarge', 'c6i.xlarge', 'r6i.large'];

/** What `init` can offer: subnets of the cluster's VPC (or all) and the candidate types the region offers. */
export async function wizardChoices(ctx: { ec2: EC2Client; region: string }, vpcId: string | undefined): Promise<WizardChoices> {
  const subnets = await guard({ action: 'ec2:DescribeSubnets', region: ctx.region }, () =>
    ctx.ec2.send(new DescribeSubnetsCommand(vpcId ? { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] } : {})),
  );
  const offered = await guard({ action: 'ec2:DescribeInstanceTypeOfferings', region: ctx.region }, () =>
    ctx.ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'region', Filters: [{ Name: 'instance-type', Values: CANDIDATE_TYPES }] })),
  );
  const types = new Set((offered.InstanceTypeOfferings ?? []).map((o) => o.InstanceType as string));
  return {
    subnets: (subnets.Subnets ?? [])
      .map((s) => ({ id: s.SubnetId!, cidr: s.CidrBlock ?? '', zone: s.AvailabilityZone ?? '', network: s.VpcId ?? '' }))
      .sort((a, b) => a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id)),
    instanceTypes: CANDIDATE_TYPES.filter((t) => types.has(t)),
  };
}
