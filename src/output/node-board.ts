import { elapsed } from './activity.js';
import type { Output, OutputEvent } from './output.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
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
  let drawn = 0;
  let frame = 0;
  const s = output.style;
  const mark = (r: Row) =>
    r.endedAt === undefined ? s.cyan(FRAMES[frame % FRAMES.length]!) : r.level === 'error' ? s.red('✖') : r.level === 'warn' ? s.yellow('!') : s.green('✔');
  const overlay = {
    erase: () => {
      // The cursor is at the end of the last line drawn: clear it and each line above it.
      const out = drawn > 0 ? `\r\u001b[2K${'\u001b[1A\u001b[2K'.repeat(drawn - 1)}` : '';
      drawn = 0;
      return out;
    },
    draw: () => {
      if (rows.size === 0) return '';
      const width = Math.max(...[...rows.keys()].map((n) => n.length));
      const max = Math.max(20, columns() - 1);
      const lines = [...rows.values()].map((r) => {
        const clock = elapsed((r.endedAt ?? now()) - r.since).padStart(6);
        // Kept within the terminal's width: a wrapped line would not be erased.
        const text = `  ${r.name.padEnd(width)}  ${clock}  ${r.phase}`;
        return `${mark(r)}${text.length + 1 > max ? `${text.slice(0, max - 2)}…` : text}`;
      });
      drawn = lines.length;
      return lines.join('\n');
    },
  };
  output.setOverlay(overlay);
  const timer = setInterval(() => {
    frame++;
    output.redraw();
  }, TICK_MS);
  timer.unref();
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
    stop() {
      clearInterval(timer);
      output.setOverlay(undefined);
    },
  };
}
