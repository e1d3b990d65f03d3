import type { RemovePlan, RemoveResult } from '../pool/result.js';

/** `remove --dry-run` for people: what would go, and that nothing went. */
export function renderRemovePlan(p: RemovePlan): string {
  const lines = [
    ...p.nodes.map((n) => `would remove ${n.name}: ${n.node === 'present' ? 'drain and delete the Node' : 'no Node'}, ${n.instanceId ? `delete VM ${n.instanceId}` : 'no VM'}`),
    ...p.tokens.map((id) => `would delete bootstrap token ${id}`),
    ...p.poolFirewalls.map((f) => `would delete the firewall of pool ${f.pool} on ${f.cloud} (its security group / NSG / firewall rules) once no VM of the pool is left`),
  ];
  return `${lines.join('\n') || 'nothing to remove'}\n--dry-run: nothing was deleted`;
}

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
