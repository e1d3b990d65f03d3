import type { PoolRef } from '../provider.js';

/** GCP labels cannot hold win-k8s.io/... keys (no dots or slashes): these stand for TAG_CLUSTER, TAG_POOL, TAG_NODE. */
export const LABEL_CLUSTER = 'win-k8s-cluster';
export const LABEL_POOL = 'win-k8s-pool';
export const LABEL_NODE = 'win-k8s-node-name';

/** A label value: lowercase letters, digits, - and _, at most 63 characters. */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
}

export function poolLabels(ref: PoolRef): Record<string, string> {
  return { [LABEL_CLUSTER]: labelValue(ref.cluster), [LABEL_POOL]: labelValue(ref.pool) };
}

/** A Compute Engine label filter for instances.list. */
export function labelFilter(ref: { cluster: string; pool?: string | undefined }): string {
  const parts = [`(labels.${LABEL_CLUSTER} = "${labelValue(ref.cluster)}")`];
  if (ref.pool !== undefined) parts.push(`(labels.${LABEL_POOL} = "${labelValue(ref.pool)}")`);
  return parts.join(' AND ');
}
