import { DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand, type EC2Client, type InstanceTypeInfo, type _InstanceType } from '@aws-sdk/client-ec2';
import { UsageError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import { guard, hasAwsCode } from './errors.js';
import { nestedAlternatives, nestedVirtualization, type NestedMode } from './nested-virtualization.js';

export const DEFAULT_INSTANCE_TYPE = 'm5.large';

/** Windows Server with containerd, kubelet and a few pods is unhappy below this. */
const MIN_MEMORY_MIB = 4096;

export interface TypeLookup {
  ec2: EC2Client;
  region: string;
  sink: EventSink;
}

/**
 * Refuses an instance type that does not exist, cannot boot a Windows AMI (Windows on EC2 is
 * x86_64 only), cannot run Hyper-V when --hyperv-isolation asks for it, or is not offered in the
 * zone the nodes go to, before anything is created.
 */
export async function checkInstanceType(
  ctx: TypeLookup,
  type: string,
  zone: string | undefined,
  options: { nestedVirtualization?: boolean | undefined } = {},
): Promise<{ info: InstanceTypeInfo; nested?: NestedMode }> {
  let info: InstanceTypeInfo | undefined;
  try {
    const out = await ctx.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] }));
    info = out.InstanceTypes?.[0];
  } catch (err) {
    if (!hasAwsCode(err, 'InvalidInstanceType', 'InvalidParameterValue')) {
      return guard({ action: 'ec2:DescribeInstanceTypes', region: ctx.region }, () => Promise.reject(err));
    }
  }
  if (!info) {
    throw new UsageError(`"${type}" is not an EC2 instance type in ${ctx.region}`, {
      field: '--instance-type',
      hint: `use a type such as ${DEFAULT_INSTANCE_TYPE} (the default), m6i.xlarge or c5.2xlarge`,
    });
  }
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? [];
  if (archs.length > 0 && !archs.includes('x86_64')) {
    throw new UsageError(`${type} is an ${archs.join('/')} type; Windows Server on EC2 runs only on x86_64`, {
      field: '--instance-type',
      hint: `pick an Intel or AMD type such as ${DEFAULT_INSTANCE_TYPE} or m6a.large`,
    });
  }
  const memory = info.MemoryInfo?.SizeInMiB;
  if (memory !== undefined && memory < MIN_MEMORY_MIB) {
    ctx.sink({ level: 'warn', message: `${type} has ${memory} MiB of memory; Windows nodes need at least 4 GiB (8 GiB recommended)` });
  }
  const nested = options.nestedVirtualization ? checkNestedVirtualization(type, info) : undefined;
  if (zone) {
    const offered = await offeredIn(ctx, type, zone);
    if (!offered) {
      const zones = await zonesOffering(ctx, type);
      throw new UsageError(`${type} is not offered in ${zone}`, {
        field: '--instance-type',
        hint: zones.length > 0 ? `choose another type, or a subnet (--subnet-id) in ${zones.join(', ')}` : `choose another type; ${type} is not offered in ${ctx.region}`,
      });
    }
  }
  return { info, ...(nested ? { nested } : {}) };
}

/**
 * --hyperv-isolation: how the type runs Hyper-V, or a refusal naming types that can. Refused
 * before anything exists: otherwise the Hyper-V role fails only after a whole boot.
 */
export function checkNestedVirtualization(type: string, info: InstanceTypeInfo): NestedMode {
  const verdict = nestedVirtualization(type, info);
  if ('mode' in verdict) return verdict.mode;
  throw new UsageError(verdict.problem, {
    field: '--instance-type',
    hint: `for example ${nestedAlternatives(type).join(', ')} (\`aws ec2 describe-instance-types --filters Name=processor-info.supported-features,Values=nested-virtualization\` lists the virtual ones), or drop --hyperv-isolation`,
  });
}

async function offeredIn(ctx: TypeLookup, type: string, zone: string): Promise<boolean> {
  const out = await guard({ action: 'ec2:DescribeInstanceTypeOfferings', region: ctx.region }, () =>
    ctx.ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [
          { Name: 'instance-type', Values: [type] },
          { Name: 'location', Values: [zone] },
        ],
      }),
    ),
  );
  return (out.InstanceTypeOfferings ?? []).length > 0;
}

async function zonesOffering(ctx: TypeLookup, type: string): Promise<string[]> {
  const out = await guard({ action: 'ec2:DescribeInstanceTypeOfferings', region: ctx.region }, () =>
    ctx.ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: [type] }] })),
  );
  return [...new Set((out.InstanceTypeOfferings ?? []).map((o) => o.Location).filter((z): z is string => !!z))].sort();
}
