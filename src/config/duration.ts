import { UsageError } from '../errors.js';

/**
 * Durations as Kubernetes users write them (kubectl, kubeadm and the kubelet all take Go's
 * time.ParseDuration syntax): one or more <number><unit> pairs, `90s`, `2m30s`, `1h30m`,
 * `500ms`, `1.5h`. Every duration flag goes through this one parser and names its problems with
 * the same words, so `--timeout` and `--drain-timeout` never disagree about what `1h30m` means.
 * Kept free of heavy imports: the config schema and the CLI load it.
 */

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
// `ms` before `m`, or "500ms" would read as 500 minutes followed by garbage.
const PAIR = /(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)/y;

/** What a flag accepts besides the common syntax, and the range it allows. */
export interface DurationRule {
  /** kubectl's --request-timeout: a bare integer is seconds ("30" = 30s). */
  bareSeconds?: boolean;
  /** Milliseconds; a shorter duration is refused. */
  min?: number;
  /** Milliseconds; a longer duration is refused. */
  max?: number;
}

/** The shared wording of a refused duration; only the value changes. */
export const DURATION_EXPECTED = 'expected a duration such as 90s, 2m30s, 1h30m or 500ms (units h, m, s, ms)';

/** Milliseconds, or undefined when the text is not a duration. A bare `0` is zero, as in Go. */
export function parseDuration(text: string, rule: DurationRule = {}): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (rule.bareSeconds && /^\d+$/.test(t)) return Number(t) * 1000;
  if (t === '') return undefined;
  let ms = 0;
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < t.length) {
    const at = PAIR.lastIndex;
    const m = PAIR.exec(t);
    if (!m || m.index !== at) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  const rounded = Math.round(ms);
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

/** `5400000` -> `1h30m`, for messages and help. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Why the text is refused, without the field name (the caller knows it), or undefined when it is fine. */
export function durationProblem(text: string, rule: DurationRule = {}): string | undefined {
  const ms = parseDuration(text, rule);
  if (ms === undefined) return `${DURATION_EXPECTED}, got "${text}"`;
  if (rule.min !== undefined && ms < rule.min) return `expected a duration of at least ${formatDuration(rule.min)}, got "${text}"`;
  if (rule.max !== undefined && ms > rule.max) return `expected a duration of at most ${formatDuration(rule.max)}, got "${text}"`;
  return undefined;
}

/** Parses a duration for `field` (a flag, variable or file field), or throws the usage error that names it. */
export function durationOf(text: string, field: string, rule: DurationRule = {}): number {
  const problem = durationProblem(text, rule);
  if (problem) throw new UsageError(problem, { field });
  return parseDuration(text, rule)!;
}
