import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import { awsErrorCode } from './errors.js';

/** The SDK's retry strategy shapes, derived from the client config (no extra type package). */
export type RetryStrategyV2 = Extract<NonNullable<EC2ClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's default (3 attempts) gives up too early when a batch of RunInstances and
 * DescribeInstances calls meets EC2's request-rate limits. 8 attempts with full jitter (random
 * up to 1 s, 2 s, 4 s ... capped at 20 s) spreads the callers out instead of retrying in step.
 */
export const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

export function fullJitterDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

export function defaultRetryStrategy(): RetryStrategyV2 {
  return new ConfiguredRetryStrategy(MAX_ATTEMPTS, (attempt) => fullJitterDelay(attempt));
}

export interface RetryNotice {
  /** The AWS error code (RequestLimitExceeded, ...) or the SDK's classification. */
  code: string;
  errorType: RetryErrorInfo['errorType'];
  /** The attempt about to be made, 2 for the first retry. */
  attempt: number;
}

/**
 * Wraps a strategy to report each retry. The inner strategy decides and sleeps; a refusal
 * (attempts or retry capacity exhausted) throws before anything is reported.
 */
export function reportingRetryStrategy(inner: RetryStrategyV2, report: (notice: RetryNotice) => void): RetryStrategyV2 {
  const wrapped: RetryStrategyV2 & { mode?: string } = {
    acquireInitialRetryToken: (scope: string) => inner.acquireInitialRetryToken(scope),
    async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
      const next = await inner.refreshRetryTokenForRetry(token, errorInfo);
      try {
        report({ code: awsErrorCode(errorInfo.error) ?? errorInfo.errorType, errorType: errorInfo.errorType, attempt: next.getRetryCount() + 1 });
      } catch {
        // A failing event sink must not turn a successful retry into a failed call.
      }
      return next;
    },
    recordSuccess: (token: RetryToken) => inner.recordSuccess(token),
  };
  // The SDK reads `mode` for its user agent; keep the inner strategy's.
  const mode = (inner as { mode?: unknown }).mode;
  if (typeof mode === 'string') wrapped.mode = mode;
  return wrapped;
}
