import type { Activity, Output } from './output.js';

/** Braille dots, as most terminal spinners draw them; one frame per tick. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK_MS = 100;
/** Off a terminal: how often a long wait says it is still going (a CI log must not look hung). */
export const STILL_EVERY_MS = 5000;

/** Return to column 0 and clear the line: what the spinner erases itself with. */
const ERASE_LINE = '\r\u001b[2K';

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function startActivity(output: Output, first: string, now: () => number = Date.now): Activity {
  let text = first;
  let since = now();
  let stopped = false;
  if (output.live) {
    let frame = 0;
    const spinner = {
      erase: () => ERASE_LINE,
      draw: () => `${output.style.cyan(FRAMES[frame % FRAMES.length]!)} ${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`,
    };
    output.setOverlay(spinner);
    const timer = setInterval(() => {
      frame++;
      output.redraw();
    }, TICK_MS);
    // The spinner never keeps the process alive on its own.
    timer.unref();
    return {
      update(next) {
        if (stopped || next === text) return;
        // What was being done is kept in the log; the spinner moves on to the next step.
        output.setOverlay(undefined);
        output.info(`${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`);
        text = next;
        since = now();
        output.setOverlay(spinner);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        output.setOverlay(undefined);
        output.info(`${text} ${output.style.dim(`(${elapsed(now() - since)})`)}`);
      },
    };
  }
  output.info(text);
  const timer = setInterval(() => output.info(`still ${text} (${elapsed(now() - since)})`), STILL_EVERY_MS);
  timer.unref();
  return {
    update(next) {
      if (stopped || next === text) return;
      text = next;
      since = now();
      output.info(text);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
