import { elapsed } from './activity.js';
import { startLiveLines } from './live-lines.js';
import type { Output, OutputEvent } from './output.js';

const TICK_MS = 250;

interface Row {
  name: string;
  level: OutputEvent['level'];
  phase: string;
  since: number;
  /** Set when the node reached an end (Ready, provisioned, failed): its clock stops. */
  endedAt?: number;
}

export interface NodeBoard {
  event(event: OutputEvent): void;
  stop(): void;
}

/**
 * One line per node under the log, redrawn in place: a spinner (or the outcome's mark), the
 * node, what it is doing now and for how long. Fed by the same events the log prints — those
 * that name a node — so the timestamped lines off a terminal stay exactly as they are.
 */
export function startNodeBoard(output: Output, columns: () => number, now: () => number = Date.now): NodeBoard {
  const rows = new Map<string, Row>();
  const s = output.style;
  const mark = (r: Row, spinner: string) => (r.endedAt === undefined ? spinner : r.level === 'error' ? s.red('✖') : r.level === 'warn' ? s.yellow('!') : s.green('✔'));
  const lines = startLiveLines(
    output,
    (spinner) => {
      if (rows.size === 0) return [];
      const width = Math.max(...[...rows.keys()].map((n) => n.length));
      const max = Math.max(20, columns() - 1);
      return [...rows.values()].map((r) => {
        const clock = elapsed((r.endedAt ?? now()) - r.since).padStart(6);
        // Kept within the terminal's width: a wrapped line would not be erased.
        const text = `  ${r.name.padEnd(width)}  ${clock}  ${r.phase}`;
        return `${mark(r, spinner)}${text.length + 1 > max ? `${text.slice(0, max - 2)}…` : text}`;
      });
    },
    TICK_MS,
  );
  return {
    event(event) {
      if (!event.subject || event.level === 'debug') return;
      const t = now();
      const row = rows.get(event.subject) ?? { name: event.subject, level: event.level, phase: '', since: t };
      row.level = event.level;
      row.phase = event.message.split('\n')[0]!;
      const ended = event.level === 'error' || /\bis Ready\b|\bprovisioned\b|\bcomplete\b/i.test(row.phase);
      if (ended) row.endedAt ??= t;
      rows.set(event.subject, row);
    },
    stop: () => lines.stop(),
  };
}
