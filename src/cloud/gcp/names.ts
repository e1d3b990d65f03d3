import { UsageError } from '../../errors.js';
import type { PoolRef } from '../provider.js';

/** GCP labels cannot hold win-k8s.io/... keys (no dots or slashes): these stand for TAG_CLUSTER, TAG_POOL, TAG_NODE. */
export const LABEL_CLUSTER = 'win-k8s-cluster';
export const LABEL_POOL = 'win-k8s-pool';
export const LABEL_NODE = 'win-k8s-node-name';

/** A label value: lowercase letters, digits, - and _, at most 63 characters. */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
}

/** An RFC 1035 name (firewall rules, network tags): lowercase, starts with a letter, <= 63. */
export function rfc1035(value: string, max = 63): string {
  let s = value.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-');
  if (!/^[a-z]/.test(s)) s = `w-${s}`;
  return s.slice(0, max).replace(/-+$/, '');
}

export function poolLabels(ref: PoolRef): Record<string, string> {
  return { [LABEL_CLUSTER]: labelValue(ref.cluster), [LABEL_POOL]: labelValue(ref.pool) };
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

/** A Compute Engine label filter for instances.list. */
export function labelFilter(ref: { cluster: string; pool?: string | undefined }): string {
  const parts = [`(labels.${LABEL_CLUSTER} = "${labelValue(ref.cluster)}")`];
  if (ref.pool !== undefined) parts.push(`(labels.${LABEL_POOL} = "${labelValue(ref.pool)}")`);
  return parts.join(' AND ');
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
