/** Facts about the terminal that decide colour, prompting and progress style. */

export type Env = Record<string, string | undefined>;

/** CI is "set" unless it is empty, "false" or "0" (the aws-cdk rule; documented in the README). */
export function isCI(env: Env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

export interface ColorInputs {
  noColorFlag: boolean;
  env: Env;
  isTTY: boolean;
}

/** --no-color > NO_COLOR > FORCE_COLOR > TERM=dumb > TTY. */
export function wantsColor({ noColorFlag, env, isTTY }: ColorInputs): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

export interface Streams {
  stdin: { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Prompts need a person: stdin and stderr (where prompts are drawn) on a TTY, and no CI. */
export function canPrompt(streams: Streams, env: Env): boolean {
  return Boolean(streams.stdin.isTTY && streams.stderr.isTTY) && !isCI(env);
}
