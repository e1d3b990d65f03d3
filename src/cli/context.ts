import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { LoadedFile } from '../config/load.js';
import { envName, globalOptions, type OptionSpec } from '../config/options.js';
import { Output, type OutputFormat } from '../output/output.js';
import { canPrompt, isCI, wantsColor, type Env, type Streams } from '../output/terminal.js';
import type { CliValues } from '../config/resolve.js';
import { makeConfirm } from '../output/prompt.js';
import type { Confirm } from '../pool/deps.js';

/** Everything a command handler needs; tests build one with their own streams and env. */
export interface CommandContext {
  output: Output;
  env: Env;
  cwd: string;
  streams: Streams;
  /** A person can answer prompts (TTY on stdin and stderr, no CI, not JSON). */
  interactive: boolean;
  yes: boolean;
  configFile: LoadedFile | undefined;
  /** The command's parsed options, with whether each came from the command line. */
  cli: CliValues;
  toolVersion: string;
  /** Aborted on Ctrl-C / SIGTERM so long operations can stop and clean up. */
  signal: AbortSignal;
  /** The one way to ask a yes/no question (honours --yes and the absence of a terminal). */
  confirm: Confirm;
  /** --request-timeout / WIN_K8S_REQUEST_TIMEOUT / requestTimeout, for every Kubernetes API call; 0: no bound. */
  requestTimeoutMs: number;
}

export interface RuntimeEnv {
  env: Env;
  cwd: string;
  streams: Streams;
  toolVersion: string;
  signal: AbortSignal;
}

/** Reads a boolean global (-y, -v, --no-color) from the flag, else its WIN_K8S_* variable. */
function globalFlag(cmd: Command, key: string, spec: OptionSpec, env: Env): boolean {
  const source = cmd.getOptionValueSource(key);
  const value = cmd.getOptionValue(key) as unknown;
  if (source === 'cli') return spec.flags.includes('--no-') ? value === false : value === true;
  const fromEnv = env[envName(spec)];
  if (fromEnv === undefined || fromEnv === '') return false;
  if (/^(1|true|yes|on)$/i.test(fromEnv)) return true;
  if (/^(0|false|no|off)$/i.test(fromEnv)) return false;
  throw new UsageError(`expected true or false, got "${fromEnv}"`, { field: envName(spec) });
}

function globalString(cmd: Command, key: string, spec: OptionSpec, env: Env): string | undefined {
  if (cmd.getOptionValueSource(key) === 'cli') return cmd.getOptionValue(key) as string;
  const fromEnv = env[envName(spec)];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** The output format before the config file is read (so errors reading it can be shaped). */
export function earlyFormat(cmd: Command, env: Env): OutputFormat {
  const value = globalString(cmd, 'output', globalOptions.output, env);
  return value === 'json' ? 'json' : 'human';
}

export function makeOutput(format: OutputFormat, cmd: Command, rt: RuntimeEnv): Output {
  let noColor = false;
  let verbose = false;
  try {
    noColor = globalFlag(cmd, 'color', globalOptions.noColor, rt.env);
    verbose = globalFlag(cmd, 'verbose', globalOptions.verbose, rt.env);
  } catch {
    // Reported again, properly, by buildContext.
  }
  const isTTY = Boolean(rt.streams.stderr.isTTY);
  return new Output({
    format,
    color: wantsColor({ noColorFlag: noColor, env: rt.env, isTTY }),
    verbose,
    live: isTTY && !isCI(rt.env),
    stdout: rt.streams.stdout,
    stderr: rt.streams.stderr,
  });
}

export async function buildContext(cmd: Command, rt: RuntimeEnv): Promise<CommandContext> {
  // Loaded here, not at startup: the YAML parser alone costs more than all of --help.
  const { loadConfigFile } = await import('../config/load.js');
  const root = cmd.parent ?? cmd;
  const configPath = globalString(root, 'config', globalOptions.config, rt.env);
  const configField = root.getOptionValueSource('config') === 'cli' ? '--config' : envName(globalOptions.config);
  const configFile = await loadConfigFile(configPath, rt.cwd, configField);
  let format = earlyFormat(root, rt.env);
  const fromFlagOrEnv = globalString(root, 'output', globalOptions.output, rt.env);
  // short is diagnose's summary (one line per category); other commands have no such view.
  const short = fromFlagOrEnv === 'short' && cmd.name() === 'diagnose';
  if (fromFlagOrEnv !== undefined && fromFlagOrEnv !== 'json' && fromFlagOrEnv !== 'human' && !short) {
    throw new UsageError(`expected human or json${fromFlagOrEnv === 'short' ? ' (short is for diagnose)' : ''}, got "${fromFlagOrEnv}"`, { field: root.getOptionValueSource('output') === 'cli' ? '--output' : envName(globalOptions.output) });
  }
  if (short) format = 'short';
  if (fromFlagOrEnv === undefined && configFile?.data.output !== undefined) {
    const fileFormat = configFile.data.output;
    if (fileFormat !== 'json' && fileFormat !== 'human') throw new UsageError(`expected human or json`, { field: `output (in ${configFile.path})` });
    format = fileFormat;
  }
  const output = makeOutput(format, root, rt);
  const yes = globalFlag(root, 'yes', globalOptions.yes, rt.env);
  globalFlag(root, 'color', globalOptions.noColor, rt.env);
  globalFlag(root, 'verbose', globalOptions.verbose, rt.env);
  const all = { ...root.opts(), ...cmd.opts() } as Record<string, unknown>;
  const cli: CliValues = {
    get(key) {
      const owner = cmd.getOptionValueSource(key) !== undefined ? cmd : root;
      return { value: all[key], fromCli: owner.getOptionValueSource(key) === 'cli' };
    },
  };
  const { resolveRequestTimeoutMs } = await import('../config/request-timeout.js');
  const requestTimeoutMs = resolveRequestTimeoutMs(globalString(root, 'requestTimeout', globalOptions.requestTimeout, {}), rt.env, configFile);
  const interactive = canPrompt(rt.streams, rt.env) && format !== 'json';
  return {
    output,
    env: rt.env,
    cwd: rt.cwd,
    streams: rt.streams,
    interactive,
    yes,
    confirm: makeConfirm({ output, yes, interactive, stream: rt.streams.stderr, signal: rt.signal }),
    configFile,
    cli,
    toolVersion: rt.toolVersion,
    signal: rt.signal,
    requestTimeoutMs,
  };
}

