import { checkIPv4, ipv6Groups } from './validators.js';
/**
 * CIDR parsing for firewall sources. A string test for "/0" lets 0.0.0.0/1 (half of IPv4) and
 * 0.0.0.0/00 through; the prefix length has to be read as a number and compared with a limit.
 * Shared by the config schema and every cloud's firewall code, so it imports nothing heavy.
 */

export interface ParsedCidr {
  family: 4 | 6;
  /** The address as an unsigned integer (32 or 128 bits). */
  address: bigint;
  prefix: number;
}

export interface BreadthLimits {
  /** The shortest IPv4 prefix accepted: /8 with 8. */
  maxV4Prefix: number;
  /** The shortest IPv6 prefix accepted. */
  maxV6Prefix: number;
}

/**
 * Sources allowed to reach an admin port (RDP, WinRM, SSH). An IPv4 /8 is 16.7 million
 * addresses, the size of the largest single-organisation allocations. For IPv6 the comparable
 * unit is /32, what a regional registry allocates to a whole ISP or large organisation (an
 * end site gets a /48 or /56): anything broader spans several such networks, so no admin
 * network needs it.
 */
export const ADMIN_SOURCE_LIMITS: BreadthLimits = { maxV4Prefix: 8, maxV6Prefix: 32 };

/** Parses "a.b.c.d/n" or an IPv6 "x:y::z/n"; undefined when it is not a CIDR. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const m = /^([^/\s]+)\/([0-9]{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const [, ip, prefixText] = m as unknown as [string, string, string];
  const prefix = Number(prefixText);
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return prefix <= 32 ? { family: 4, address: v4, prefix } : undefined;
  const v6 = parseIPv6(ip);
  if (v6 !== undefined) return prefix <= 128 ? { family: 6, address: v6, prefix } : undefined;
  return undefined;
}

/**
 * Whether the range is broader (a shorter prefix) than the limits allow. Text that does not
 * parse counts as too broad: a source nobody can read is not opened.
 */
export function isTooBroad(cidr: string | ParsedCidr, limits: BreadthLimits = ADMIN_SOURCE_LIMITS): boolean {
  const parsed = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (!parsed) return true;
  return parsed.prefix < (parsed.family === 4 ? limits.maxV4Prefix : limits.maxV6Prefix);
}

/**
 * The reason an admin port may not be opened to this source, or undefined when it may. Without
 * the field name: the caller names its flag.
 */
export function checkAdminSource(cidr: string, limits: BreadthLimits = ADMIN_SOURCE_LIMITS): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return `"${cidr}" is not an IPv4 or IPv6 CIDR (expected e.g. 203.0.113.0/24)`;
  if (!isTooBroad(parsed, limits)) return undefined;
  const limit = parsed.family === 4 ? limits.maxV4Prefix : limits.maxV6Prefix;
  const share = parsed.family === 4 ? ` (${parsed.prefix === 0 ? 'every IPv4 address' : `1/${(2 ** parsed.prefix).toLocaleString('en-US')} of all IPv4 addresses`})` : '';
  return `refusing to open an admin port to ${cidr}${share}: sources broader than /${limit} are refused for IPv${parsed.family}; give your admin network, e.g. 203.0.113.0/24`;
}

/** The address as one number, from the IP parsers validators.ts already has. */
function parseIPv4(ip: string): bigint | undefined {
  return checkIPv4(ip) ? ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) : undefined;
}

function parseIPv6(ip: string): bigint | undefined {
  return ipv6Groups(ip)?.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}
