import { createHash } from 'node:crypto';
import type { RunInstancesCommandInput, _InstanceType } from '@aws-sdk/client-ec2';
import type { PoolRef, ResolvedPlacement, FirewallResult } from '../provider.js';
import { awsErrorCode, awsMessage, isEnvironmentFailure, toWinK8sError } from './errors.js';
import type { ImageDetails } from './images.js';
import type { NestedMode } from './nested-virtualization.js';
import { nodeTags, tagSpecs } from './tags.js';
import type { UserData } from './user-data.js';

export interface LaunchSettings {
  instanceType: string;
  diskSizeGb: number;
  /** An instance profile name, or its ARN. */
  instanceProfile?: string | undefined;
  /** A public IPv4 address per node; none by default, whatever the subnet's setting. */
  publicIp?: boolean | undefined;
  /** --hyperv-isolation on this type: a virtual type needs nested virtualization asked for at launch. */
  nested?: NestedMode | undefined;
}

export interface LaunchParams extends LaunchSettings {
  ref: PoolRef;
  nodeName: string;
  image: ImageDetails;
  placement: ResolvedPlacement;
  firewall: FirewallResult;
  userData: UserData;
}

/**
 * One instance per call, so a failure (capacity, quota) hits one node and the idempotency
 * token covers exactly one instance.
 */
export function runInstancesInput(p: LaunchParams): RunInstancesCommandInput {
  const input: RunInstancesCommandInput = {
    ImageId: p.image.id,
    InstanceType: p.instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    // AssociatePublicIpAddress exists only on a network interface, and EC2 refuses SubnetId and
    // SecurityGroupIds next to NetworkInterfaces: all three go on the primary interface. Left
    // out, a subnet that auto-assigns public IPs would give every node one.
    NetworkInterfaces: [
      {
        DeviceIndex: 0,
        SubnetId: p.placement.subnetId,
        Groups: [...new Set([p.firewall.id, ...p.placement.extraFirewallIds])],
        AssociatePublicIpAddress: p.publicIp === true,
        DeleteOnTermination: true,
      },
    ],
    UserData: p.userData.base64,
    // IMDSv2 only. A hop limit of 1 keeps the instance role's credentials away from pods
    // (one network hop further); node-level agents run on the host and are unaffected.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    BlockDeviceMappings: [
      { DeviceName: p.image.rootDeviceName, Ebs: { VolumeSize: p.diskSizeGb, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
    ],
    TagSpecifications: tagSpecs(['instance', 'volume', 'network-interface'], nodeTags(p.ref, p.nodeName)),
  };
  // VT-x reaches a virtual instance only when asked for; bare metal has it anyway (and EC2 takes
  // the option on the virtual families that offer it only).
  if (p.nested === 'cpu-option') input.CpuOptions = { NestedVirtualization: 'enabled' };
  if (p.instanceProfile) {
    input.IamInstanceProfile = p.instanceProfile.startsWith('arn:') ? { Arn: p.instanceProfile } : { Name: p.instanceProfile };
  }
  input.ClientToken = clientToken(p.ref, p.nodeName, input);
  return input;
}

/**
 * The idempotency token: the SDK's retries of one RunInstances (after a lost response or a
 * throttle) reuse it, so EC2 never creates a second instance for the node. It covers the whole
 * request, user data included: the same node name with a new bootstrap token is a new launch,
 * and reusing a token with other parameters would fail with IdempotentParameterMismatch.
 * At most 64 ASCII characters.
 */
export function clientToken(ref: PoolRef, nodeName: string, input: RunInstancesCommandInput, salt = ''): string {
  const { ClientToken: _ignored, ...rest } = input;
  const fingerprint = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
  const digest = createHash('sha256').update([ref.cluster, ref.pool, nodeName, fingerprint, salt].join('\0')).digest('hex');
  return `win-k8s-${digest.slice(0, 56)}`;
}

/** Service Quotas names for On-Demand vCPU limits, by instance family. */
export function onDemandQuota(instanceType: string): string {
  const family = /^([a-z]+)/.exec(instanceType)?.[1] ?? '';
  if (family.startsWith('inf')) return 'Running On-Demand Inf instances';
  if (family.startsWith('dl')) return 'Running On-Demand DL instances';
  if (family.startsWith('trn')) return 'Running On-Demand Trn instances';
  if (family.startsWith('hpc')) return 'Running On-Demand HPC instances';
  if (family.startsWith('g') || family.startsWith('vt')) return 'Running On-Demand G and VT instances';
  if (family.startsWith('p')) return 'Running On-Demand P instances';
  if (family.startsWith('x')) return 'Running On-Demand X instances';
  if (family === 'f') return 'Running On-Demand F instances';
  if (family === 'u') return 'Running On-Demand High Memory instances';
  return 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (quota code L-1216C47A)';
}

export interface LaunchFailure {
  /** The VmResult.error text: what happened and what to do. */
  message: string;
  /** Credentials, permissions or reachability: starting more VMs is pointless. */
  stopsBatch: boolean;
}

/** A failed RunInstances as one VM's error, with the way out. */
export function describeLaunchFailure(err: unknown, where: { instanceType: string; zone?: string | undefined; subnetId: string; region: string }): LaunchFailure {
  const code = awsErrorCode(err) ?? 'Error';
  const zone = where.zone ?? where.region;
  const aws = awsMessage(err);
  switch (code) {
    case 'InsufficientInstanceCapacity':
      return {
        stopsBatch: false,
        message: `AWS has no ${where.instanceType} capacity in ${zone} right now (InsufficientInstanceCapacity). Try another instance type (--instance-type), a subnet in another zone (--subnet-id), or again in a few minutes.`,
      };
    case 'InstanceLimitExceeded':
    case 'VcpuLimitExceeded':
      return {
        stopsBatch: false,
        message: `the account's On-Demand vCPU quota in ${where.region} is used up (${code}). Request an increase of "${onDemandQuota(where.instanceType)}" in Service Quotas (EC2), choose a smaller --instance-type, or remove other instances.`,
      };
    case 'Unsupported':
      return {
        stopsBatch: false,
        message: `${where.instanceType} cannot be launched in ${zone} (Unsupported: ${aws}). Try another instance type (--instance-type) or a subnet in another zone (--subnet-id).`,
      };
    case 'InsufficientFreeAddressesInSubnet':
      return { stopsBatch: false, message: `subnet ${where.subnetId} has no free IP addresses left (InsufficientFreeAddressesInSubnet). Give a larger subnet with --subnet-id.` };
    case 'IdempotentParameterMismatch':
      return {
        stopsBatch: false,
        message: `an earlier launch of this node used the same idempotency token with other parameters (IdempotentParameterMismatch). Remove the node's old instance or use another node name.`,
      };
    default: {
      const mapped = toWinK8sError(err, { action: 'ec2:RunInstances', region: where.region });
      return { stopsBatch: isEnvironmentFailure(err), message: mapped.hint ? `${mapped.message}. ${mapped.hint}` : mapped.message };
    }
  }
}
