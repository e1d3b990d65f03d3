import { elapsed, STILL_EVERY_MS } from './activity.js';
import { startLiveLines } from './live-lines.js';
import type { Output } from './output.js';

const TICK_MS = 250;

/** Where one node's drain stands (src/cluster/drain.ts reports it). */
export interface DrainState {
  node: string;
  podsLeft: number;
  waitingOn?: string;
}

export interface DrainProgressView {
  update(state: DrainState): void;
  /** The node's drain is over (drained or failed): its line goes. */
  done(node: string): void;
  stop(): void;
}

function describe(state: DrainState): string {
  const pods = `${state.podsLeft} pod${state.podsLeft === 1 ? '' : 's'} left`;
  return `draining ${state.node}: ${pods}${state.waitingOn ? `, waiting on ${state.waitingOn}` : ''}`;
}

/**
 * Drain progress per node. On a terminal, one line per node being drained under the log,
 * redrawn in place with its time so far; off one, a timestamped line per node every few
 * seconds (and at once when a drain starts), so a CI log shows what a long drain waits on.
 */
export function startDrainProgress(output: Output, opts: { everyMs?: number; now?: () => number } = {}): DrainProgressView {
  const now = opts.now ?? Date.now;
  const rows = new Map<string, { state: DrainState; since: number }>();
  if (output.live) {
    const lines = startLiveLines(output, (spinner) => [...rows.values()].map((r) => `${spinner} ${describe(r.state)} ${output.style.dim(`(${elapsed(now() - r.since)})`)}`), TICK_MS);
    return {
      update(state) {
        const row = rows.get(state.node);
        rows.set(state.node, { state, since: row?.since ?? now() });
        lines.redraw();
      },
      done(node) {
        rows.delete(node);
        lines.redraw();
      },
      stop() {
        rows.clear();
        lines.stop();
      },
    };
  }
  const say = (r: { state: DrainState; since: number }) => output.info(`${describe(r.state)} (${elapsed(now() - r.since)})`);
  const timer = setInterval(() => {
    for (const r of rows.values()) say(r);
  }, opts.everyMs ?? STILL_EVERY_MS);
  timer.unref();
  return {
    update(state) {
      const row = rows.get(state.node);
      rows.set(state.node, { state, since: row?.since ?? now() });
      if (!row) say(rows.get(state.node)!);
    },
    done(node) {
      rows.delete(node);
    },
    stop() {
      clearInterval(timer);
      rows.clear();
    },
  };
}
