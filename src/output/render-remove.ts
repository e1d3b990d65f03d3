import type { ClusterObjectLeft, RemovePlan, RemoveResult } from '../pool/result.js';
import type { ClusterObjectRef } from '../cluster/managed-objects.js';

const objectName = (o: ClusterObjectRef) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
const leftLines = (left: ClusterObjectLeft[]) => left.flatMap((l) => [`LEFT ${l.what}: ${l.error}`, `  delete it with: ${l.command}`]);

function firewallLines(f: RemovePlan['poolFirewalls'][number]): string[] {
  if (!f.firewalls) return [`would delete the firewall of pool ${f.pool} on ${f.cloud} once no VM of the pool is left`];
  if (f.firewalls.length === 0) return [`pool ${f.pool} has no firewall on ${f.cloud} to delete`];
  return f.firewalls.flatMap((fw) => [
    `would delete ${fw.id}${fw.name && fw.name !== fw.id ? ` (${fw.name})` : ''} of pool ${f.pool}${fw.rules.length > 0 ? ', with its rules:' : ''}`,
    ...fw.rules.map((r) => `  ${r}`),
  ]);
}

/** `remove --dry-run` for people: what would go, and that nothing went. */
export function renderRemovePlan(p: RemovePlan): string {
  const c = p.clusterObjects;
  const lines = [
    ...p.nodes.map((n) => `would remove ${n.name}: ${n.node === 'present' ? 'drain and delete the Node' : 'no Node'}, ${n.instanceId ? `delete VM ${n.instanceId}` : 'no VM'}`),
    ...p.tokens.map((id) => `would delete bootstrap token ${id}`),
    ...p.poolFirewalls.flatMap(firewallLines),
    ...c.wouldDelete.map((o) => `would delete ${objectName(o)} (no win-k8s pool would be left)`),
    ...(c.kept ? [`would keep the cluster-wide objects join made: ${c.kept}`] : []),
    ...leftLines(c.left),
  ];
  return `${lines.join('\n') || 'nothing to remove'}\n--dry-run: nothing was deleted`;
}

/** `remove` for people: what is gone, then what failed or is left. */
export function renderRemoveResult(r: RemoveResult): string {
  const lines = [
    ...r.removed.map((x) => `removed ${x.name}${x.instanceId ? ` (${x.instanceId})` : ''}`),
    ...r.deletedResources.map((id) => `deleted ${id}`),
    ...r.deletedTokens.map((id) => `deleted bootstrap token ${id}`),
    ...r.clusterObjects.deleted.map((o) => `deleted ${objectName(o)}`),
    ...(r.clusterObjects.kept ? [`kept the cluster-wide objects join made: ${r.clusterObjects.kept}`] : []),
    ...r.failed.map((f) => `FAILED ${f.name}: ${f.error}`),
    ...leftLines(r.clusterObjects.left),
  ];
  return lines.join('\n') || 'nothing to remove';
}
