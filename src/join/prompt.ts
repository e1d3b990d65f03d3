import { UsageError } from '../errors.js';
import type { CommandContext } from '../cli/context.js';

/**
 * The one place that asks a person a question. Without a TTY (or in CI, or with -o json)
 * nothing prompts: a confirmation then needs --yes, and its absence is a usage error.
 */
export async function confirm(ctx: CommandContext, message: string): Promise<boolean> {
  if (ctx.yes) {
    ctx.output.info(`${message} yes (--yes)`);
    return true;
  }
  if (!ctx.interactive) throw new UsageError('confirmation needed, and there is no terminal to ask on: pass --yes', { field: '--yes' });
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { output: process.stderr, signal: ctx.signal });
}
