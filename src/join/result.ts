import type { Style } from '../output/style.js';

export type NodeStatus = 'Ready' | 'Failed' | 'TimedOut' | 'Provisioned';

/** One node of a join/provision result, in the shape DESIGN.md promises. */
export interface NodeOutcome {
  name: string;
  instanceId: string | null;
  privateIp: string | null;
  status: NodeStatus;
  /** Seconds per phase: provision (create -> running), boot (-> first console line), register, ready. */
  phases: Record<string, number>;
  error?: string;
  /** The node existed before this run (a re-run tops the pool up). */
  existing?: boolean;
}

export interface JoinResult {
  pool: string;
  cluster: string;
  nodes: NodeOutcome[];
  durationSeconds: number;
}

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
