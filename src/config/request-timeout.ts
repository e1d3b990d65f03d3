import { UsageError } from '../errors.js';
import { envName, globalOptions } from './options.js';
import { parseDurationMs } from './validators.js';

/**
 * kubectl's --request-timeout syntax: "0" means no bound, a bare integer is seconds, anything
 * else a duration with its unit (10s, 1m). Milliseconds; undefined when the text is none of these.
 */
export function parseRequestTimeoutMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  return parseDurationMs(t);
}

export const REQUEST_TIMEOUT_EXPECTED = 'expected 0 (no bound) or a duration such as 30s or 2m, as kubectl\'s --request-timeout';

export function checkRequestTimeout(text: string): string | undefined {
  return parseRequestTimeoutMs(text) === undefined ? `${REQUEST_TIMEOUT_EXPECTED}, got "${text}"` : undefined;
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
  const ms = parseRequestTimeoutMs(text);
  if (ms === undefined) throw new UsageError(`${REQUEST_TIMEOUT_EXPECTED}, got "${text}"`, { field });
  return ms;
}
