import type { ManagedList } from '../pool/list.js';
import type { Style } from './style.js';

/** `list` for people: one row per node or VM, orphans highlighted, live tokens after. */
export function renderList(doc: ManagedList, s: Style): string {
  const tokens = doc.tokens.map((t) => s.yellow(`live bootstrap token ${t.id} of pool ${t.pool}${t.expiresAt ? ` (expires ${t.expiresAt})` : ''}`));
  if (doc.nodes.length === 0) return ['no Windows nodes or VMs managed by win-k8s', ...tokens].join('\n');
  const header = ['NAME', 'POOL', 'CLOUD', 'INSTANCE', 'VM', 'NODE'];
  const rows = doc.nodes.map((n) => [n.name, n.pool, n.cloud, n.instanceId ?? '-', n.vmState, n.nodeStatus]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [s.bold(line(header)), ...rows.map((r) => (r[4] === 'Missing' || r[5] === 'Missing' ? s.yellow(line(r)) : line(r))), ...tokens].join('\n');
}
