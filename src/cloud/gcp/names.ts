import { UsageError } from '../../errors.js';
import type { PoolRef } from '../provider.js';

/** An RFC 1035 name (firewall rules, network tags): lowercase, starts with a letter, <= 63. */
export function rfc1035(value: string, max = 63): string {
  let s = value.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-');
  if (!/^[a-z]/.test(s)) s = `w-${s}`;
  return s.slice(0, max).replace(/-+$/, '');
}

export function firewallName(ref: PoolRef): string {
  return rfc1035(`win-k8s-${ref.cluster}-${ref.pool}`, 59);
}

export function rdpFirewallName(ref: PoolRef): string {
  return `${firewallName(ref)}-rdp`;
}

/** The network tag the pool's firewall rules target. */
export function poolTag(ref: PoolRef): string {
  return rfc1035(`win-k8s-${ref.cluster}-${ref.pool}`);
}

/**
 * The instance name is the node name, and Windows makes it the computer name: NetBIOS allows
 * 15 characters, so a longer name would make the hostname differ from the node name.
 */
export function checkInstanceName(nodeName: string): void {
  if (!/^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/.test(nodeName)) {
    throw new UsageError(`node name "${nodeName}" cannot be a Compute Engine Windows instance name`, {
      field: '--name',
      hint: 'use 1 to 15 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (Windows computer names are at most 15 characters)',
    });
  }
}

/** The last segment of a resource URL or path. */
export function lastSegment(url: string): string {
  return url.split('/').pop() ?? url;
}

/** projects/<p>/regions/<r>/subnetworks/<n>, from a full URL, a path, or a bare name. */
export function parseSubnetwork(value: string, project: string, region: string): { project: string; region: string; name: string } {
  const m = /(?:^|\/)projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(value);
  if (m) return { project: m[1]!, region: m[2]!, name: m[3]! };
  if (/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) return { project, region, name: value };
  throw new UsageError(`"${value}" is not a subnetwork`, { field: '--subnet-id', hint: 'give projects/<project>/regions/<region>/subnetworks/<name>, or a subnetwork name in the zone\'s region' });
}
