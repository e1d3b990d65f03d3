import type { JoinResult } from '../pool/result.js';
import type { Style } from './style.js';

/** The join/provision summary for people: a row per node with phase times, then each error. */
export function renderJoinResult(result: JoinResult, s: Style): string {
  const header = ['NODE', 'INSTANCE', 'PRIVATE IP', 'STATUS', 'PROVISION', 'BOOT', 'REGISTER', 'READY'];
  const rows = result.nodes.map((n) => [
    n.name + (n.existing ? ' (existing)' : ''),
    n.instanceId ?? '-',
    n.privateIp ?? '-',
    n.status,
    ...['provision', 'boot', 'register', 'ready'].map((p) => (n.phases[p] === undefined ? '-' : `${n.phases[p]}s`)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const color = (status: string, text: string) => (status === 'Ready' || status === 'Provisioned' ? s.green(text) : s.red(text));
  const out = [s.bold(line(header)), ...rows.map((r, i) => color(result.nodes[i]!.status, line(r)))];
  for (const n of result.nodes) if (n.error) out.push('', `${s.red(n.name)}: ${n.error}`);
  const ok = result.nodes.filter((n) => n.status === 'Ready' || n.status === 'Provisioned').length;
  out.push('', `${ok}/${result.nodes.length} nodes ${result.nodes.some((n) => n.status === 'Provisioned') ? 'provisioned' : 'ready'} in pool ${result.pool} of cluster ${result.cluster} (${result.durationSeconds}s)`);
  return out.join('\n');
}
