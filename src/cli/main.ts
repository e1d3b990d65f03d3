import { setMaxListeners } from 'node:events';
import { Command, CommanderError } from 'commander';
import { globalOptions } from '../config/options.js';
import { ExitCode } from '../errors.js';
import type { Env, Streams } from '../output/terminal.js';
import { endQuietlyOnClosedPipe } from '../output/closed-pipe.js';
import { addOptions, globalFlagsLine, helpConfiguration } from './options.js';
import { makeRunner } from './run.js';
import { requestsJson, writeParseFailureDocument } from './parse-failure.js';
import { toolVersion } from './version.js';
import * as diagnose from './commands/diagnose.js';
import * as init from './commands/init.js';
import * as join from './commands/join.js';
import * as list from './commands/list.js';
import * as remove from './commands/remove.js';
import * as plan from './commands/plan.js';
import * as provision from './commands/provision.js';
import * as render from './commands/render.js';
import * as schema from './commands/schema.js';
import * as version from './commands/version.js';
import * as completion from './commands/completion.js';

export interface MainOptions {
  env?: Env;
  cwd?: string;
  streams?: Streams;
  /** Tests pass their own signal instead of real SIGINT handling. */
  signal?: AbortSignal;
}

export const COMMANDS = [init, render, plan, join, provision, list, remove, diagnose, schema, version, completion];

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const streams = options.streams ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  // Kept for the life of the process: a closed pipe is reported after main() has returned.
  if (!options.streams) endQuietlyOnClosedPipe(process.stdout, process.stderr, (code) => process.exit(code));
  // The AWS SDK warns about Node 20 on stderr; -o json users want a clean stream.
  if (env === process.env) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  // Every request in flight listens on the run's signal (diagnose has dozens at once): not a leak,
  // and Node's warning about more than 10 listeners would land on the user's stderr.
  setMaxListeners(0, controller.signal);
  const cleanup = options.signal ? linkSignal(options.signal, controller) : trapSignals(controller, streams);
  const state = { exitCode: ExitCode.ok as number };
  const version = toolVersion();

  const program = new Command('win-k8s')
    .description('Windows Server nodes for Kubernetes: render, plan, join and diagnose.')
    .version(version, '--version', 'print the win-k8s version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureHelp(helpConfiguration)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
Every option can also be set with WIN_K8S_<NAME> (e.g. WIN_K8S_OUTPUT=json), and cluster, pool
and cloud settings in win-k8s.yaml; flags win over the environment, which wins over the file.
What remove removes is taken from the command line only.
Exit codes: 0 ok, 1 failed, 2 invalid usage or config, 3 cluster/cloud unreachable or denied, 130 interrupted.`,
    );
  addOptions(program, Object.values(globalOptions));
  const run = makeRunner({ env, cwd: options.cwd ?? process.cwd(), streams, toolVersion: version, signal: controller.signal }, state);
  for (const command of COMMANDS) {
    const sub = command.register(program, run);
    sub.exitOverride().configureOutput({ writeOut: (s) => streams.stdout.write(s), writeErr: (s) => streams.stderr.write(s) });
    sub.addHelpText('after', globalFlagsLine(program.name()));
  }

  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      // commander has printed its message (it names the flag); usage errors are exit 2.
      if (requestsJson(argv, env)) writeParseFailureDocument(streams, err.message, argv.slice(2).find((a) => program.commands.some((c) => c.name() === a)));
      return ExitCode.usage;
    }
    throw err;
  } finally {
    cleanup();
  }
}

function linkSignal(signal: AbortSignal, controller: AbortController): () => void {
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** First Ctrl-C asks commands to stop and clean up; a second one exits at once. */
function trapSignals(controller: AbortController, streams: Streams): () => void {
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      streams.stderr.write('\nwin-k8s: interrupted again, exiting without cleanup\n');
      process.exit(ExitCode.interrupted);
    }
    controller.abort(new Error(name));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
