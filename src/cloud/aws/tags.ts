import type { Filter, ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { TAG_CLUSTER, TAG_NODE, TAG_POOL, type PoolRef } from '../provider.js';

/** Tags are win-k8s's only record of what it created (no local state): every resource gets them. */
export function poolTags(ref: PoolRef, extra: Record<string, string> = {}): Tag[] {
  return Object.entries({ [TAG_CLUSTER]: ref.cluster, [TAG_POOL]: ref.pool, ...extra }).map(([Key, Value]) => ({ Key, Value }));
}

export function nodeTags(ref: PoolRef, nodeName: string): Tag[] {
  return poolTags(ref, { [TAG_NODE]: nodeName, Name: nodeName });
}

export function tagSpecs(types: ResourceType[], tags: Tag[]): TagSpecification[] {
  return types.map((ResourceType) => ({ ResourceType, Tags: tags }));
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

export function tagFilters(ref: { cluster: string; pool?: string | undefined }): Filter[] {
  const filters: Filter[] = [{ Name: `tag:${TAG_CLUSTER}`, Values: [ref.cluster] }];
  if (ref.pool !== undefined) filters.push({ Name: `tag:${TAG_POOL}`, Values: [ref.pool] });
  return filters;
}
