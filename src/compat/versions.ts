/** Kubernetes version arithmetic, kept tiny: the matrix only ever compares minors. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

export function parseVersion(text: string): Version {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a version: ${text}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), ...(m[4] ? { pre: m[4] } : {}) };
}

/** Compares two versions on major.minor.patch (pre-releases sort before their release). */
export function compareVersions(a: string | Version, b: string | Version): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch || (x.pre ? (y.pre ? x.pre.localeCompare(y.pre) : -1) : y.pre ? 1 : 0);
}

/** The Kubernetes minor as a number, e.g. "1.33.2" -> 33. Only 1.x exists. */
export function k8sMinor(version: string): number {
  const v = parseVersion(version);
  if (v.major !== 1) throw new Error(`Kubernetes ${version}: only 1.x exists`);
  return v.minor;
}
