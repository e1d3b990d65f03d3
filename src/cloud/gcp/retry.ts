import { sleep } from '../../util/sleep.js';
import { isRetryable, isRateLimited, gcpCode, gcpReason } from './errors.js';

export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * google-gax retries none of the Compute calls win-k8s makes on 429/403-rate-limit, and a
 * batch of inserts and operation waits meets the per-minute limits. 8 attempts with full
 * jitter (random up to 1 s, 2 s, 4 s ... capped at 20 s) spreads the callers out.
 */
export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 20_000 };

export function fullJitterDelay(attempt: number, o: RetryOptions, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** attempt));
}

export interface RetryNotice {
  reason: string;
  rateLimited: boolean;
  /** The attempt about to be made, 2 for the first retry. */
  attempt: number;
}

export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions, onRetry: (n: RetryNotice) => void, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= o.maxAttempts || !isRetryable(err) || signal?.aborted) throw err;
      try {
        onRetry({ reason: gcpReason(err) ?? String(gcpCode(err) ?? 'error'), rateLimited: isRateLimited(err), attempt: attempt + 1 });
      } catch {
        // A failing event sink must not turn a retry into a failure.
      }
      const delay = fullJitterDelay(attempt, o);
      // An interrupt during the pause ends it; the next attempt's failure (or the caller) stops.
      await sleep(delay, signal);
      if (signal?.aborted) throw err;
    }
  }
}
