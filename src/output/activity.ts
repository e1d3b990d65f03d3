import { startLiveLines } from './live-lines.js';
import type { Activity, Output } from './output.js';

/** The single spinner line turns quickly; the multi-line views (node board, drains) tick slower. */
const TICK_MS = 100;
/** Off a terminal: how often a long wait says it is still going (a CI log must not look hung). */
export const STILL_EVERY_MS = 5000;

/** Off a terminal: a count (what follows " — ") is printed at most this often; the step's last one always. */
export const COUNT_EVERY_MS = 1000;

/**
 * A text is a step, optionally followed by " — " and a count of its progress ("probe pods: 3/8
 * running"). A new count of the same step redraws the spinner in place instead of ending the step.
 */
const DETAIL = ' — ';
const stepOf = (t: string) => (t.includes(DETAIL) ? t.slice(0, t.indexOf(DETAIL)) : t);

/** Return to column 0 and clear the line: what the spinner erases itself with. */

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function startActivity(output: Output, first: string, now: () => number = Date.now): Activity {
  let text = first;
  let since = now();
  let stopped = false;
  if (output.live) {
    const spinner = startLiveLines(output, (frame) => [`${frame} ${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`], TICK_MS);
    return {
      update(next) {
        if (stopped || next === text) return;
        if (stepOf(next) === stepOf(text)) {
          // The same step's count: drawn on the next frame, nothing logged.
          text = next;
          return;
        }
        // What was being done is kept in the log; the spinner moves on to the next step.
        spinner.hide();
        output.info(`${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`);
        text = next;
        since = now();
        spinner.show();
      },
      stop() {
        if (stopped) return;
        stopped = true;
        spinner.stop();
        output.info(`${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`);
      },
    };
  }
  output.info(text);
  // A CI log gets the counts too, but not a line per pod: at most one a second, and the last.
  let printedAt = now();
  let pending = false;
  const flush = () => {
    if (pending) output.info(text);
    pending = false;
    printedAt = now();
  };
  const timer = setInterval(() => output.info(`still ${text} (${elapsed(now() - since)})`), STILL_EVERY_MS);
  timer.unref();
  return {
    update(next) {
      if (stopped || next === text) return;
      if (stepOf(next) === stepOf(text)) {
        text = next;
        pending = true;
        if (now() - printedAt >= COUNT_EVERY_MS) flush();
        return;
      }
      flush();
      text = next;
      since = now();
      output.info(text);
      printedAt = now();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      flush();
    },
  };
}
