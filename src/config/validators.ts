import { UsageError } from '../errors.js';
import { parseDuration } from './duration.js';
/**
 * Pure validators shared by the config schema and the CLI. Each returns an error message
 * (without the field name, which the caller knows) or undefined when the value is fine.
 */

export const KUBEADM_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
export const CA_CERT_HASH = /^sha256:[a-f0-9]{64}$/;
export const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** Windows computer names are at most 15 characters (NetBIOS); node names follow RFC 1123 labels. */
export function checkNodeName(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 15) return `"${name}" is ${name.length} characters; Windows computer names are at most 15`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return `"${name}" must be lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123)`;
  }
  if (/^[0-9]+$/.test(name)) return `"${name}" is all digits, which Windows does not allow as a computer name`;
  return undefined;
}

/** Pool names become part of node names (`<pool>-xxxxx`, at most 15) and cloud resource names. */
export function checkPoolName(name: string): string | undefined {
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return `"${name}" must start with a lowercase letter and contain only lowercase letters, digits and '-'`;
  }
  if (name.length > 9) return `"${name}" is ${name.length} characters; at most 9, so that "<pool>-<5 random>" fits the 15-character Windows computer name`;
  return undefined;
}

export function checkIPv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function ipv6Groups(ip: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(ip) || ip.split('::').length > 2) return undefined;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parse(head);
  const t = parse(tail);
  if ([...h, ...t].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t].map((g) => parseInt(g, 16));
}

/** A CIDR whose host bits are zero (Kubernetes rejects e.g. 10.96.0.1/12 for the service range). */
export function checkCidr(cidr: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return `"${cidr}" is not a CIDR (expected e.g. 10.96.0.0/12)`;
  const [, ip, bitsText] = m as unknown as [string, string, string];
  const bits = Number(bitsText);
  if (checkIPv4(ip)) {
    if (bits > 32) return `"${cidr}": prefix length must be at most 32`;
    const value = ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
    const hostBits = 32 - bits;
    if (hostBits > 0 && value % 2 ** hostBits !== 0) return `"${cidr}" has host bits set; did you mean ${ipv4Network(value, bits)}/${bits}?`;
    return undefined;
  }
  const groups = ipv6Groups(ip);
  if (groups) {
    if (bits > 128) return `"${cidr}": prefix length must be at most 128`;
    return undefined;
  }
  return `"${cidr}" is not a valid IPv4 or IPv6 CIDR`;
}

function ipv4Network(value: number, bits: number): string {
  const size = 2 ** (32 - bits);
  const net = Math.floor(value / size) * size;
  return [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
}

/**
 * `host[:port]` or `https://host[:port]`, normalised to `host:port` (what `kubeadm join` takes).
 */
export function normaliseApiServer(value: string): { value?: string; error?: string } {
  let rest = value.trim();
  if (/^https:\/\//i.test(rest)) rest = rest.slice('https://'.length);
  else if (/^[a-z]+:\/\//i.test(rest)) return { error: `"${value}": only https:// is allowed (the API server is always TLS)` };
  rest = rest.replace(/\/+$/, '');
  if (rest.includes('/')) return { error: `"${value}": expected host:port without a path` };
  let host: string;
  let port = '6443';
  const v6 = /^\[([0-9a-fA-F:]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = `[${v6[1]}]`;
    if (v6[2]) port = v6[2];
    if (!ipv6Groups(v6[1]!)) return { error: `"${value}": invalid IPv6 address` };
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) return { error: `"${value}": IPv6 addresses must be in brackets, e.g. [fd00::1]:6443` };
    host = parts[0]!;
    if (parts[1] !== undefined) port = parts[1];
    const dns = /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
    if (!checkIPv4(host) && !dns.test(host)) return { error: `"${value}": "${host}" is not an IP address or DNS name` };
  }
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { error: `"${value}": port must be 1-65535` };
  return { value: `${host}:${port}` };
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkQualifiedKey(key: string): string | undefined {
  const slash = key.split('/');
  if (slash.length > 2) return `"${key}" has more than one '/'`;
  const [prefix, name] = slash.length === 2 ? [slash[0]!, slash[1]!] : [undefined, slash[0]!];
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return `"${key}": prefix "${prefix}" is not a DNS subdomain`;
  if (!LABEL_NAME.test(name)) return `"${key}": name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`;
  return undefined;
}

// The NodeRestriction admission plugin lets a kubelet set only these kubernetes.io / k8s.io
// labels on itself; kubelet refuses to start with any other label in those namespaces.
// Source: kubernetes/kubernetes pkg/kubelet/apis/well_known_labels.go (KubeletLabels, KubeletLabelNamespaces).
const KUBELET_ALLOWED_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'kubernetes.io/os',
  'kubernetes.io/arch',
]);
const KUBELET_ALLOWED_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

export function checkNodeLabel(key: string, value: string): string | undefined {
  const keyError = checkQualifiedKey(key);
  if (keyError) return keyError;
  if (value !== '' && !LABEL_NAME.test(value)) return `"${key}=${value}": value must be at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`;
  const prefix = key.includes('/') ? key.split('/')[0]! : '';
  const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  const allowedNs = KUBELET_ALLOWED_NAMESPACES.some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
  if (restricted && !allowedNs && !KUBELET_ALLOWED_LABELS.has(key)) {
    return `"${key}": kubelet may not set labels in the kubernetes.io or k8s.io namespaces (NodeRestriction); use your own prefix, or node.kubernetes.io/...`;
  }
  return undefined;
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** `key[=value]:Effect`, the syntax of kubelet --register-with-taints. */
export function checkTaint(taint: string): string | undefined {
  const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(taint);
  if (!m) return `"${taint}" is not key[=value]:Effect`;
  const [, key, value, effect] = m as unknown as [string, string, string | undefined, string];
  const keyError = checkQualifiedKey(key);
  if (keyError) return keyError;
  if (value && !LABEL_NAME.test(value)) return `"${taint}": value must be at most 63 alphanumerics, '-', '_' or '.'`;
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) return `"${taint}": effect must be one of ${TAINT_EFFECTS.join(', ')}`;
  return undefined;
}

export function checkProxyUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected e.g. http://proxy.corp:3128)`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `"${url}": proxy URL must be http:// or https://`;
  return undefined;
}

/** "90s", "1h30m", "500ms" -> milliseconds; undefined when the text is not a duration (see duration.ts). */
export function parseDurationMs(text: string): number | undefined {
  return parseDuration(text);
}

/** The network address and prefix of a valid CIDR as bits, for comparing ranges; undefined if it does not parse. */
function cidrBits(cidr: string): { family: 4 | 6; value: bigint; bits: number } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const [, ip, bitsText] = m as unknown as [string, string, string];
  const bits = Number(bitsText);
  if (checkIPv4(ip)) return bits <= 32 ? { family: 4, value: ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n), bits } : undefined;
  const groups = ipv6Groups(ip);
  if (groups && bits <= 128) return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n), bits };
  return undefined;
}

/**
 * Whether two CIDRs share any address. Pod and Service ranges that overlap make kube-proxy
 * and the CNI route the same address two ways: Services or pods in the shared part break.
 */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrBits(a);
  const y = cidrBits(b);
  if (!x || !y || x.family !== y.family) return false;
  const width = x.family === 4 ? 32 : 128;
  const shift = BigInt(width - Math.min(x.bits, y.bits));
  return x.value >> shift === y.value >> shift;
}

/**
 * The largest OS disk each cloud creates, in GiB, from the clouds' documentation: an EBS gp3
 * volume (the root volume win-k8s creates on AWS) holds at most 16 TiB; an Azure managed OS
 * disk 4,095 GiB; a Compute Engine Persistent Disk 64 TiB. A larger --disk-size would pass
 * every local check and fail only at the create call, node by node.
 */
export const OS_DISK_MAX_GIB = { aws: 16384, azure: 4095, gcp: 65536 } as const;

/** Why this disk size cannot be created on this cloud, or undefined when it can. */
export function checkDiskSizeForCloud(sizeGb: number, cloud: keyof typeof OS_DISK_MAX_GIB): string | undefined {
  const max = OS_DISK_MAX_GIB[cloud];
  const what = { aws: 'an EBS gp3 root volume holds at most 16 TiB', azure: 'an Azure managed OS disk holds at most 4,095 GiB', gcp: 'a Compute Engine Persistent Disk holds at most 64 TiB' }[cloud];
  return sizeGb > max ? `${sizeGb} GiB is more than ${cloud} allows: ${what} (${max} GiB)` : undefined;
}

/**
 * --pool of list and remove: the name join would have accepted, checked before the cluster or
 * the cloud is read. A name join refuses (Bad_Pool) can match no pool, and a label selector
 * built from it would either be rejected by the API server or quietly match nothing, so remove
 * would report "nothing to do".
 */
export function checkPoolFlag(pool: string, field = '--pool'): void {
  const problem = checkPoolName(pool);
  if (problem) throw new UsageError(problem, { field });
}
