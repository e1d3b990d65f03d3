/**
 * Which Azure VM sizes can run the Hyper-V role that --hyperv-isolation needs (nested
 * virtualization). Azure has no switch for it: a size either exposes the virtualization
 * extensions or not, and the Resource SKUs API has no capability that says so. The facts come
 * from the documentation: each size series page's "Nested Virtualization: Supported / Not
 * Supported" line, and the Azure Compute Unit table, which marks the series that are
 * "hyper-threaded and capable of running nested virtualization" (Dv3/Dsv3, Ev3/Esv3, the Intel
 * v4 series, Fsv2, FX, M). AMD v4 (Dasv4...) says Not Supported, AMD v5 and v6 (Dasv5, Dasv6)
 * Supported; the burstable B series (Bsv2 ...) and the 1:1 series of older generations
 * (A, Av2, Dv2/DSv2) do not offer it. A series not named here is refused: win-k8s cannot vouch
 * for it, and a wrong guess costs a whole boot to find out (the features phase fails).
 */

export interface AzureSize {
  /** Upper-case family letters: D, DS, E, F, FX, B, M, NC, DC ... */
  family: string;
  vcpus: number;
  /** Lower-case additive features: a (AMD), p (Arm), d (local disk), s (premium storage) ... */
  features: string;
  /** 1 when the name has no _vN suffix. */
  version: number;
}

/** Standard_D4s_v5, Standard_E4-2ads_v5, Standard_DS3_v2, Standard_F4s_v2, Standard_B2s. */
export function parseAzureSize(name: string): AzureSize | undefined {
  const m = /^Standard_([A-Z]+)(\d+)(?:-\d+)?([a-z]*)(?:_v(\d+))?$/.exec(name);
  if (!m) return undefined;
  return { family: m[1]!, vcpus: Number(m[2]), features: m[3]!, version: m[4] ? Number(m[4]) : 1 };
}

/** Why this size cannot run nested virtualization, or undefined when it can. */
export function nestedVirtualizationProblem(sizeName: string): string | undefined {
  const size = parseAzureSize(sizeName);
  if (!size) return `${sizeName} is not a size name win-k8s can read`;
  const { family, features, version } = size;
  if (features.includes('p')) return `${sizeName} is an Arm-based size`;
  if (family === 'B') return `${sizeName} is a burstable B-series size, which does not offer nested virtualization`;
  if (family === 'A' || ((family === 'D' || family === 'DS') && version <= 2)) return `${sizeName} belongs to an older series without nested virtualization`;
  const amd = features.includes('a');
  if ((family === 'D' || family === 'E') && version === 3 && !amd) return undefined;
  if ((family === 'D' || family === 'E') && version === 4) return amd ? `${sizeName} is an AMD v4 size (Dasv4/Eav4 ...), which does not offer nested virtualization` : undefined;
  if (family === 'D' && (version === 5 || version === 6)) return undefined;
  if (family === 'E' && version === 5 && !amd) return undefined;
  if (family === 'F' && version === 2 && features.includes('s')) return undefined;
  if (family === 'FX' || family === 'M') return undefined;
  return `${sizeName} is not a series win-k8s knows to offer nested virtualization`;
}

/** Sizes to offer instead: those of the location that can, with the same vCPU count first. */
export function nestedAlternatives(sizeName: string, offered: readonly string[]): string[] {
  const want = parseAzureSize(sizeName)?.vcpus;
  const able = offered.filter((n) => nestedVirtualizationProblem(n) === undefined);
  const rank = (n: string) => (parseAzureSize(n)?.vcpus === want ? 0 : 1) + (/^Standard_D\d+s_v5$/.test(n) ? 0 : 0.5);
  return [...able].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, 3);
}
