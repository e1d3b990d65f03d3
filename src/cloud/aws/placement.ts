import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type EC2Client, type Instance, type Subnet } from '@aws-sdk/client-ec2';
import { EnvironmentError, OperationError, UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { EventSink } from '../../output/output.js';
import type { PlacementRequest, ResolvedPlacement } from '../provider.js';
import { guard, hasAwsCode } from './errors.js';
import { checkInstanceType } from './instance-types.js';
import type { NestedMode } from './nested-virtualization.js';

export interface PlacementLookup {
  ec2: EC2Client;
  region: string;
  /** Where the region came from, to explain a mismatch with the control plane's. */
  regionSource: string;
  sink: EventSink;
}

export interface PlacementOptions {
  subnetId?: string | undefined;
  instanceType: string;
  /** --aws-control-plane-groups: nodes also become members of the control plane's groups. */
  controlPlaneGroups?: boolean | undefined;
  /** --hyperv-isolation: the type must run Hyper-V; onNested learns how (for the launch). */
  nestedVirtualization?: boolean | undefined;
  onNested?: ((mode: NestedMode) => void) | undefined;
}

type AwsPlacement = Extract<Placement, { cloud: 'aws' }>;

/**
 * Nodes go into --subnet-id, or else next to the control plane's subnet. The control plane's
 * security groups are named for the pool's rules to refer to (ensureFirewall); nodes join them
 * only with --aws-control-plane-groups, since membership opens every port the control plane
 * admits from itself (etcd, the controller manager...) to every Windows node.
 */
export async function resolvePlacement(ctx: PlacementLookup, opts: PlacementOptions, req: PlacementRequest): Promise<ResolvedPlacement> {
  const cp = req.controlPlane?.cloud === 'aws' ? req.controlPlane : undefined;
  if (req.controlPlane && !cp && !opts.subnetId) {
    throw new UsageError(`the control plane runs on ${req.controlPlane.cloud}, so there is no AWS subnet to place the nodes next to`, {
      field: '--subnet-id',
      hint: 'give the subnet for the Windows nodes with --subnet-id (and --region); they must be able to reach the API server',
    });
  }
  if (cp && cp.region !== ctx.region && !opts.subnetId) {
    throw new UsageError(`the control plane runs in ${cp.region}, but the region is ${ctx.region} (from ${ctx.regionSource})`, {
      field: '--region',
      hint: `pass --region ${cp.region} to place the nodes next to the control plane, or --subnet-id for a subnet in ${ctx.region}`,
    });
  }
  const cpInstance = cp && cp.region === ctx.region ? await controlPlaneInstance(ctx, cp, !opts.subnetId) : undefined;
  if (cp && cp.region !== ctx.region) {
    ctx.sink({ level: 'warn', message: `the control plane runs in ${cp.region}, the nodes go to ${ctx.region}: they need a route to the API server and its security groups must admit them` });
  }

  let subnetId: string;
  let vpcId: string;
  let zone: string | undefined;
  let cpGroups: string[] = [];
  if (opts.subnetId) {
    const subnet = await describeSubnet(ctx, opts.subnetId);
    subnetId = opts.subnetId;
    vpcId = subnet.VpcId!;
    zone = subnet.AvailabilityZone;
    if (cpInstance && cpInstance.VpcId === vpcId) {
      cpGroups = groupIds(cpInstance);
    } else if (cpInstance) {
      ctx.sink({
        level: 'warn',
        message: `--subnet-id ${subnetId} is in ${vpcId}, the control plane in ${cpInstance.VpcId}: the nodes need a route to it (peering or a transit gateway), and its security groups must admit them`,
      });
    }
  } else if (cpInstance) {
    if (!cpInstance.SubnetId || !cpInstance.VpcId) {
      throw new OperationError(`the control plane instance ${cpInstance.InstanceId} has no subnet (EC2-Classic?)`, { hint: 'give the subnet for the Windows nodes with --subnet-id' });
    }
    subnetId = cpInstance.SubnetId;
    vpcId = cpInstance.VpcId;
    zone = cpInstance.Placement?.AvailabilityZone ?? cp?.zone;
    cpGroups = groupIds(cpInstance);
  } else {
    throw new UsageError('no subnet for the nodes: none given and the control plane\'s instance is unknown', {
      field: '--subnet-id',
      hint: 'give the subnet for the Windows nodes with --subnet-id, or a kubeconfig of a cluster whose nodes run on EC2',
    });
  }

  const networkCidr = await vpcCidr(ctx, vpcId);
  const { nested } = await checkInstanceType(ctx, opts.instanceType, zone, { nestedVirtualization: opts.nestedVirtualization });
  if (nested) opts.onNested?.(nested);
  const extraFirewallIds = opts.controlPlaneGroups ? cpGroups : [];
  if (extraFirewallIds.length > 0) await warnOpenGroups(ctx, extraFirewallIds);
  if (opts.controlPlaneGroups && cpGroups.length === 0) {
    ctx.sink({ level: 'warn', message: '--aws-control-plane-groups: the control plane\'s security groups are unknown here (another VPC, or no control plane on EC2); the nodes get the pool\'s group only' });
  }

  ctx.sink({
    level: 'info',
    message: `placement ${subnetId}${zone ? ` (${zone})` : ''} in ${vpcId} ${networkCidr}${extraFirewallIds.length > 0 ? `, with the control plane's security groups ${extraFirewallIds.join(', ')}` : ''}`,
  });
  return { region: ctx.region, ...(zone ? { zone } : {}), networkId: vpcId, subnetId, networkCidr, extraFirewallIds, controlPlaneFirewallIds: cpGroups };
}

async function controlPlaneInstance(ctx: PlacementLookup, cp: AwsPlacement, required: boolean): Promise<Instance | undefined> {
  let instance: Instance | undefined;
  try {
    const out = await ctx.ec2.send(new DescribeInstancesCommand({ InstanceIds: [cp.instanceId] }));
    instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === cp.instanceId);
  } catch (err) {
    if (!hasAwsCode(err, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed')) {
      return guard({ action: 'ec2:DescribeInstances', region: ctx.region }, () => Promise.reject(err));
    }
  }
  if (!instance || instance.State?.Name === 'terminated') {
    if (!required) {
      ctx.sink({ level: 'warn', message: `the control plane instance ${cp.instanceId} (from ${cp.providerId}) is not visible with these credentials; using --subnet-id only` });
      return undefined;
    }
    throw new EnvironmentError(`the control plane instance ${cp.instanceId} (from its providerID ${cp.providerId}) is not visible in ${ctx.region} with these AWS credentials`, {
      hint: 'use credentials of the account the cluster runs in (AWS_PROFILE), or give the subnet for the nodes with --subnet-id',
    });
  }
  return instance;
}

async function describeSubnet(ctx: PlacementLookup, subnetId: string): Promise<Subnet> {
  let subnet: Subnet | undefined;
  try {
    const out = await ctx.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    subnet = out.Subnets?.find((s) => s.SubnetId === subnetId);
  } catch (err) {
    if (!hasAwsCode(err, 'InvalidSubnetID.NotFound', 'InvalidSubnetID.Malformed', 'InvalidSubnetId.Malformed')) {
      return guard({ action: 'ec2:DescribeSubnets', region: ctx.region }, () => Promise.reject(err));
    }
  }
  if (!subnet?.VpcId) {
    throw new UsageError(`subnet ${subnetId} does not exist in ${ctx.region}`, {
      field: '--subnet-id',
      hint: 'subnets are regional: check --region, or list them with `aws ec2 describe-subnets`',
    });
  }
  return subnet;
}

async function vpcCidr(ctx: PlacementLookup, vpcId: string): Promise<string> {
  const out = await guard({ action: 'ec2:DescribeVpcs', region: ctx.region }, () => ctx.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })));
  const cidr = out.Vpcs?.[0]?.CidrBlock;
  if (!cidr) throw new OperationError(`VPC ${vpcId} has no IPv4 CIDR`, { hint: 'Windows nodes need an IPv4 VPC; give a subnet of one with --subnet-id' });
  return cidr;
}

function groupIds(instance: Instance): string[] {
  return (instance.SecurityGroups ?? []).map((g) => g.GroupId).filter((id): id is string => !!id);
}

/** Joining the control plane's groups also inherits their open ports: say so when any is public. */
async function warnOpenGroups(ctx: PlacementLookup, ids: string[]): Promise<void> {
  const out = await guard({ action: 'ec2:DescribeSecurityGroups', region: ctx.region }, () => ctx.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids })));
  for (const group of out.SecurityGroups ?? []) {
    const open = (group.IpPermissions ?? []).filter(
      (p) => p.IpRanges?.some((r) => r.CidrIp === '0.0.0.0/0') || p.Ipv6Ranges?.some((r) => r.CidrIpv6 === '::/0'),
    );
    if (open.length === 0) continue;
    const ports = open.map((p) => (p.IpProtocol === '-1' ? 'all traffic' : `${p.IpProtocol} ${p.FromPort === p.ToPort ? p.FromPort : `${p.FromPort}-${p.ToPort}`}`));
    ctx.sink({
      level: 'warn',
      message: `the control plane's security group ${group.GroupId} (${group.GroupName}) admits ${ports.join(', ')} from anywhere; the Windows nodes join it and inherit that`,
    });
  }
}
