import type { Command } from 'commander';
import { ExitCode, isUsageErrors, isWinK8sError } from '../errors.js';
import type { Output } from '../output/output.js';
import { buildContext, earlyFormat, makeOutput, type CommandContext, type RuntimeEnv } from './context.js';

export type Handler = (ctx: CommandContext, args: string[]) => Promise<number | void>;
export type RunCommand = (cmd: Command, load: () => Promise<Handler>) => Promise<void>;

/**
 * Wraps every command: builds its context, runs the handler, and turns errors into the exit
 * codes of the public contract. Sets `exitCode` on the returned state instead of exiting, so
 * tests can run the CLI in-process.
 */
export function makeRunner(rt: RuntimeEnv, state: { exitCode: number }): RunCommand {
  return async (cmd, load) => {
    let output: Output | undefined;
    try {
      const ctx = await buildContext(cmd, rt);
      output = ctx.output;
      const handler = await load();
      const code = await handler(ctx, cmd.args);
      state.exitCode = typeof code === 'number' ? code : ExitCode.ok;
    } catch (err) {
      const root = cmd.parent ?? cmd;
      output ??= makeOutput(earlyFormat(root, rt.env), root, rt);
      state.exitCode = reportError(output, err);
    }
  };
}

export function reportError(output: Output, err: unknown): number {
  if (isWinK8sError(err)) {
    const problems = isUsageErrors(err) ? err.problems : [err.message];
    if (output.format === 'json') {
      output.errorDocument({ message: err.message, problems, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) });
    }
    output.error(err.message);
    if (err.hint) output.info(`hint: ${err.hint}`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (output.format === 'json') output.errorDocument({ message: `internal error: ${message}`, problems: [message], exitCode: ExitCode.failed });
  output.error(`internal error: ${message}`);
  if (output.verbose && err instanceof Error && err.stack) output.debug(err.stack);
  else output.info('run again with -v for details; this is a bug in win-k8s, please report it');
  return ExitCode.failed;
}
