import type { Output } from './output.js';

/** Braille dots, as most terminal spinners draw them: every live view turns the same ones. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface LiveLines {
  /** Takes the lines off the terminal (a line can then be logged above them); show() puts them back. */
  hide(): void;
  show(): void;
  /** Draws again now, between ticks (the views call it when their state changed). */
  redraw(): void;
  stop(): void;
}

/**
 * Lines kept under the log on a terminal and redrawn in place every `tickMs`: `draw` gets the
 * spinner's current frame (already coloured) and returns the lines. Each line must fit the
 * terminal's width: a wrapped line would not be erased. The timer never keeps the process alive.
 */
export function startLiveLines(output: Output, draw: (spinner: string) => string[], tickMs: number): LiveLines {
  let frame = 0;
  let drawn = 0;
  const overlay = {
    erase: () => {
      // The cursor is at the end of the last line drawn: clear it and each line above it.
      const out = drawn > 0 ? `\r\u001b[2K${'\u001b[1A\u001b[2K'.repeat(drawn - 1)}` : '';
      drawn = 0;
      return out;
    },
    draw: () => {
      const lines = draw(output.style.cyan(FRAMES[frame % FRAMES.length]!));
      drawn = lines.length;
      return lines.join('\n');
    },
  };
  output.setOverlay(overlay);
  const timer = setInterval(() => {
    frame++;
    output.redraw();
  }, tickMs);
  timer.unref();
  return {
    hide: () => output.setOverlay(undefined),
    show: () => output.setOverlay(overlay),
    redraw: () => output.redraw(),
    stop() {
      clearInterval(timer);
      output.setOverlay(undefined);
    },
  };
}
