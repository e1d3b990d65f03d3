/**
 * The small set of error classes the CLI maps to exit codes (see README, "Exit codes").
 * Every message says what was wrong, where (flag, field, resource) and what to do next.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Errors are recognised by a brand, not instanceof: a test runner may load this module twice
 * (once as CommonJS, once as ESM), and the exit code must not depend on which copy threw.
 */
const BRAND = Symbol.for('win-k8s.error');

export class WinK8sError extends Error {
  readonly [BRAND] = true;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCodeValue, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** Invalid usage or configuration: the user can fix it by changing a flag or a field. Exit 2. */
export class UsageError extends WinK8sError {
  /** The flag, environment variable or config path at fault, when there is one. */
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string; hint?: string; cause?: unknown } = {}) {
    super(options.field ? `${options.field}: ${message}` : message, ExitCode.usage, options);
    this.field = options.field;
  }
}

/** Several usage problems found together, reported at once rather than one per run. */
export class UsageErrors extends UsageError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], hint?: string) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`, hint ? { hint } : {});
    this.problems = problems;
  }
}

/** The environment is not usable: cluster unreachable, credentials missing or denied, cloud API down. Exit 3. */
export class EnvironmentError extends WinK8sError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.environment, options);
  }
}

/** The operation ran and failed (or some nodes failed). Exit 1. */
export class OperationError extends WinK8sError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.failed, options);
  }
}

/** Ctrl-C or SIGTERM. Exit 130. */
export class InterruptedError extends WinK8sError {
  constructor(message = 'interrupted', options: { hint?: string } = {}) {
    super(message, ExitCode.interrupted, options);
  }
}

export function isWinK8sError(err: unknown): err is WinK8sError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

export function isUsageErrors(err: unknown): err is UsageErrors {
  return isWinK8sError(err) && err.exitCode === ExitCode.usage && Array.isArray((err as UsageErrors).problems);
}
