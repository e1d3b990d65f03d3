import type { RemoveResult } from '../pool/result.js';

/** `remove` for people: what is gone, then what failed. */
export function renderRemoveResult(r: RemoveResult): string {
  const lines = [
    ...r.removed.map((x) => `removed ${x.name}${x.instanceId ? ` (${x.instanceId})` : ''}`),
    ...r.deletedResources.map((id) => `deleted ${id}`),
    ...r.deletedTokens.map((id) => `deleted bootstrap token ${id}`),
    ...r.failed.map((f) => `FAILED ${f.name}: ${f.error}`),
  ];
  return lines.join('\n') || 'nothing to remove';
}
