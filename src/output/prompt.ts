import { InterruptedError, UsageError } from '../errors.js';
import type { Output } from './output.js';

export interface ConfirmOptions {
  output: Output;
  /** -y / WIN_K8S_YES: every confirmation is answered yes, and says so. */
  yes: boolean;
  /** A person can answer (TTY, no CI, not JSON). */
  interactive: boolean;
  /** Where prompts are drawn: the terminal's stderr, never stdout (it carries results). */
  stream: NodeJS.WritableStream;
  signal: AbortSignal;
}

/**
 * The one place that asks a person a question. Without a TTY (or in CI, or with -o json)
 * nothing prompts: a confirmation then needs --yes, and its absence is a usage error.
 */
export function makeConfirm(opts: ConfirmOptions): (message: string) => Promise<boolean> {
  return async (message) => {
    if (opts.yes) {
      opts.output.info(`${message} yes (--yes)`);
      return true;
    }
    if (!opts.interactive) throw new UsageError('confirmation needed, and there is no terminal to ask on: pass --yes', { field: '--yes' });
    const { confirm: ask } = await import('@inquirer/prompts');
    return interruptible(ask({ message, default: false }, { output: opts.stream, signal: opts.signal }));
  };
}

/**
 * Ctrl-C at a prompt (inquirer's ExitPromptError: the terminal is in raw mode, so no SIGINT
 * is sent) and a run interrupted while a prompt is open (AbortPromptError) are interrupts,
 * exit 130, not failures of win-k8s.
 */
export async function interruptible<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) throw new InterruptedError();
    throw err;
  }
}
