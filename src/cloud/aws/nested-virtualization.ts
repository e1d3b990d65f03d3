import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';

/**
 * Which EC2 instance types can run the Hyper-V role behind --hyperv-isolation. From the EC2 user
 * guide ("Use nested virtualization to run hypervisors in Amazon EC2 instances") and the
 * CpuOptionsRequest API reference:
 *  - bare metal types (`*.metal*`) run Hyper-V on the hardware, nothing to ask for;
 *  - of the virtual types, the 8th generation Intel families (C8i, M8i, R8i, their flex and
 *    local-disk variants) pass VT-x through, but only when launched with
 *    CpuOptions.NestedVirtualization=enabled; Hyper-V and KVM are the supported L1 hypervisors;
 *  - on Windows such an instance must not have more than 192 vCPUs (m8i.96xlarge cannot), and it
 *    loses Virtual Secure Mode (Credential Guard) and hibernation.
 * DescribeInstanceTypes says which types have it (ProcessorInfo.SupportedFeatures holds
 * "nested-virtualization"; BareMetal for metal): that answer decides, the families below only
 * stand in when an endpoint does not report processor features, and name types that work.
 */
export const NESTED_VIRTUALIZATION = {
  /** The processor feature DescribeInstanceTypes reports. */
  feature: 'nested-virtualization',
  /** Virtual families documented with the feature. */
  virtualFamilies: ['c8i', 'c8i-flex', 'c8id', 'm8i', 'm8i-flex', 'm8id', 'r8i', 'r8i-flex', 'r8id'],
  /** Above this many vCPUs a Windows instance cannot have nested virtualization. */
  maxWindowsVcpus: 192,
  /** Offered instead of a type that cannot: the same size in a family that can, else these. */
  examples: ['m8i.xlarge', 'c8i.2xlarge', 'r8i.xlarge', 'm5.metal'],
} as const;

/** How an instance type runs Hyper-V: on the hardware, or with the CPU option set at launch. */
export type NestedMode = 'bare-metal' | 'cpu-option';

export function family(instanceType: string): string {
  return instanceType.split('.')[0] ?? instanceType;
}

export type NestedVerdict = { mode: NestedMode } | { problem: string };

/** Whether (and how) an instance type can run the Hyper-V role, from its DescribeInstanceTypes entry. */
export function nestedVirtualization(type: string, info: InstanceTypeInfo): NestedVerdict {
  if (info.BareMetal) return { mode: 'bare-metal' };
  const features = info.ProcessorInfo?.SupportedFeatures as string[] | undefined;
  const documented = (NESTED_VIRTUALIZATION.virtualFamilies as readonly string[]).includes(family(type));
  const capable = features ? features.includes(NESTED_VIRTUALIZATION.feature) : documented;
  if (!capable) {
    return {
      problem: `${type} cannot run Hyper-V, which --hyperv-isolation needs: EC2 offers nested virtualization on bare metal types and, of the virtual ones, only on the 8th generation Intel families (${NESTED_VIRTUALIZATION.virtualFamilies.join(', ')})`,
    };
  }
  const vcpus = info.VCpuInfo?.DefaultVCpus;
  if (vcpus !== undefined && vcpus > NESTED_VIRTUALIZATION.maxWindowsVcpus) {
    return { problem: `${type} has ${vcpus} vCPUs; EC2 offers nested virtualization to Windows instances with at most ${NESTED_VIRTUALIZATION.maxWindowsVcpus}` };
  }
  return { mode: 'cpu-option' };
}

/** Types to offer instead: the same size in the families that can, else the examples. */
export function nestedAlternatives(type: string): string[] {
  const size = type.split('.')[1];
  if (size && !size.startsWith('metal') && /^(large|\d*xlarge)$/.test(size)) {
    return ['m8i', 'c8i', 'r8i'].map((f) => `${f}.${size}`).concat('m5.metal');
  }
  return [...NESTED_VIRTUALIZATION.examples];
}
