import { ExitCode } from '../errors.js';
import { Output } from '../output/output.js';
import type { Env, Streams } from '../output/terminal.js';

/**
 * When commander itself rejects the command line (an unknown flag, a value outside a flag's
 * choices, an unknown command), no command has run and nothing has read `--output`. A caller
 * that asked for JSON was still promised one document on stdout, so the request is read here
 * from the raw arguments, the way commander would have read it.
 */
export function requestsJson(argv: readonly string[], env: Env): boolean {
  const values: string[] = [];
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--output') values.push(args[++i] ?? '');
    else if (arg.startsWith('--output=')) values.push(arg.slice('--output='.length));
    else if (/^-[a-zA-Z]/.test(arg)) {
      // Short flags may be grouped (-yo json, -ojson); a flag that takes a value ends the group.
      for (let j = 1; j < arg.length; j++) {
        const flag = arg[j];
        if (flag === 'o') {
          values.push(j + 1 < arg.length ? arg.slice(j + 1) : (args[++i] ?? ''));
          break;
        }
        if (flag === 'c') {
          if (j + 1 === arg.length) i++;
          break;
        }
      }
    }
  }
  // Any -o json counts: `-o json -o yaml` was still written by someone parsing JSON.
  if (values.length > 0) return values.includes('json');
  return env.WIN_K8S_OUTPUT === 'json';
}

/** The error document a command prints for its own usage errors, for one commander rejected. */
export function writeParseFailureDocument(streams: Streams, commanderMessage: string, command: string | undefined): void {
  const message = commanderMessage.replace(/^error:\s*/, '').trim();
  const output = new Output({ format: 'json', color: false, verbose: false, live: false, stdout: streams.stdout, stderr: streams.stderr });
  output.errorDocument({ message, problems: [message], exitCode: ExitCode.usage, hint: `win-k8s ${command ? `${command} ` : ''}--help lists every option` });
}
