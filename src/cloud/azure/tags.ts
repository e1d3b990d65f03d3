import { TAG_CLUSTER, TAG_NODE, TAG_POOL, type PoolRef } from '../provider.js';

/**
 * Azure tag names may not contain <, >, %, &, \, ? or /, so the provider-neutral keys
 * (win-k8s.io/cluster ...) cannot be used as is: '/' becomes '_' (win-k8s.io_cluster). The
 * mapping is one-to-one, so list and remove find exactly what join tagged.
 */
export function azureTagKey(key: string): string {
  return key.replace(/\//g, '_');
}
export const AZ_TAG_CLUSTER = azureTagKey(TAG_CLUSTER);
export const AZ_TAG_POOL = azureTagKey(TAG_POOL);
export const AZ_TAG_NODE = azureTagKey(TAG_NODE);

/** Tags are win-k8s's only record of what it created (no local state): the pool's resources carry them. */
export function poolTags(ref: PoolRef): Record<string, string> {
  return { [AZ_TAG_CLUSTER]: ref.cluster, [AZ_TAG_POOL]: ref.pool };
}

/** A VM and what belongs to it alone (NIC, OS disk, extension). */
export function nodeTags(ref: PoolRef, nodeName: string): Record<string, string> {
  return { [AZ_TAG_CLUSTER]: ref.cluster, [AZ_TAG_POOL]: ref.pool, [AZ_TAG_NODE]: nodeName };
}

/** Whether a resource's tags put it in the pool. */
export function inPool(tags: Record<string, string> | undefined, ref: PoolRef): boolean {
  return tags?.[AZ_TAG_CLUSTER] === ref.cluster && tags[AZ_TAG_POOL] === ref.pool;
}
