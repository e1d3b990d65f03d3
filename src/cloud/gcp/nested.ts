/**
 * Which Compute Engine machine series can show the guest virtualization extensions (VT-x), the
 * precondition of the Hyper-V role behind --hyperv-isolation. From Compute Engine's "About
 * nested virtualization": it exists on Intel-based series only, and only when the instance is
 * created with advancedMachineFeatures.enableNestedVirtualization; AMD- and Arm-based series, E2
 * and the memory-optimized M series cannot have it. A series not named here is treated as
 * unable: win-k8s cannot vouch for it, and a wrong "yes" costs a whole boot to find out.
 */
type Series = { nested: true } | { nested: false; why: string };

const INTEL: Series = { nested: true };
const AMD: Series = { nested: false, why: 'an AMD-based series' };
const ARM: Series = { nested: false, why: 'an Arm-based series' };
const MEMORY: Series = { nested: false, why: 'a memory-optimized series' };

export const MACHINE_SERIES: Readonly<Record<string, Series>> = {
  n1: INTEL,
  n2: INTEL,
  n4: INTEL,
  c2: INTEL,
  c3: INTEL,
  c4: INTEL,
  e2: { nested: false, why: 'E2 (its hosts do not offer nested virtualization)' },
  n2d: AMD,
  c2d: AMD,
  c3d: AMD,
  c4d: AMD,
  t2d: AMD,
  t2a: ARM,
  c4a: ARM,
  m1: MEMORY,
  m2: MEMORY,
  m3: MEMORY,
  m4: MEMORY,
  x4: MEMORY,
};

export function machineSeries(machineType: string): string {
  return machineType.split('-')[0] ?? machineType;
}

/** vCPU counts of the predefined standard/highmem/highcpu types of the series offered instead. */
const SIZES: Readonly<Record<string, readonly number[]>> = {
  n2: [2, 4, 8, 16, 32, 48, 64, 80, 96, 128],
  n4: [2, 4, 8, 16, 32, 48, 64, 80],
  c3: [4, 8, 22, 44, 88, 176],
};

/** Machine types to offer instead of one that cannot: the same shape in series that can, else the default. */
export function nestedAlternatives(machineType: string): string[] {
  const m = /^[a-z0-9]+-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  const same = m ? Object.entries(SIZES).filter(([, sizes]) => sizes.includes(Number(m[2]))).map(([series]) => `${series}-${m[1]}-${m[2]}`) : [];
  return same.length > 0 ? same : ['n2-standard-4', 'n4-standard-4', 'c3-standard-4'];
}

/** Why this machine type cannot run nested virtualization, or undefined when its series can. */
export function nestedVirtualizationProblem(machineType: string): string | undefined {
  const series = machineSeries(machineType);
  const known = MACHINE_SERIES[series];
  if (known?.nested) return undefined;
  const supported = Object.entries(MACHINE_SERIES)
    .filter(([, s]) => s.nested)
    .map(([name]) => name.toUpperCase())
    .join(', ');
  const why = known ? `its series is ${known.why}` : `Compute Engine does not list series ${series.toUpperCase()} among those with it`;
  return `machine type ${machineType} cannot run nested virtualization, which --hyperv-isolation needs: ${why}. Series that can: ${supported}`;
}

/**
 * Compute Engine's documentation also says that the only hypervisor it supports inside a VM is
 * Linux KVM, not Hyper-V: Hyper-V isolation on these machines runs outside Google's support.
 */
export const HYPERV_CAVEAT =
  'Compute Engine documents Linux KVM as the only hypervisor it supports inside a VM (not Hyper-V): Hyper-V isolation on Compute Engine is outside Google\'s support, and if the Hyper-V role does not start, the bootstrap fails in its features phase';
