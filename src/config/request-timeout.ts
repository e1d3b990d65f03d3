import { envName, globalOptions } from './options.js';
import { durationOf, durationProblem, parseDuration } from './duration.js';

/**
 * kubectl's --request-timeout syntax: "0" means no bound, a bare integer is seconds, anything
 * else a duration with its unit (10s, 1m30s). Milliseconds; undefined when the text is none of these.
 */
export function parseRequestTimeoutMs(text: string): number | undefined {
  return parseDuration(text, globalOptions.requestTimeout.duration);
}

export function checkRequestTimeout(text: string): string | undefined {
  return durationProblem(text, globalOptions.requestTimeout.duration);
}

/**
 * The request timeout of this run: the flag, else WIN_K8S_REQUEST_TIMEOUT, else requestTimeout
 * in win-k8s.yaml, else 0. Every command that talks to a cluster takes it, so it is resolved
 * once, with the other globals, and a bad value names where it came from.
 */
export function resolveRequestTimeoutMs(fromFlag: string | undefined, env: Record<string, string | undefined>, file: { path: string; data: Record<string, unknown> } | undefined): number {
  const variable = envName(globalOptions.requestTimeout);
  const fromEnv = env[variable];
  const fromFile = file?.data.requestTimeout;
  const [text, field] =
    fromFlag !== undefined ? [fromFlag, '--request-timeout']
    : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, variable]
    : fromFile !== undefined && fromFile !== null ? [String(fromFile), `requestTimeout (in ${file!.path})`]
    : ['0', ''];
  return durationOf(text, field, globalOptions.requestTimeout.duration);
}
