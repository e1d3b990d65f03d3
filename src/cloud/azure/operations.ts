import type { EventSink } from '../../output/output.js';
import { azureStatus } from './errors.js';

export interface LroOptions {
  updateIntervalInMs?: number;
  abortSignal?: AbortSignal;
}

/** Options for every long-running operation: the poll interval, and the caller's signal. */
export function lroOptions(pollIntervalMs: number | undefined, abortSignal?: AbortSignal): LroOptions {
  return { ...(pollIntervalMs !== undefined ? { updateIntervalInMs: pollIntervalMs } : {}), ...(abortSignal ? { abortSignal } : {}) };
}

export async function ignore404(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (azureStatus(err) !== 404) throw err;
  }
}

/**
 * Resources of one type across the subscription: a pool may live in another resource group
 * than this run would use (join ran with --resource-group, list or remove did not). A role
 * granted on resource groups only cannot list the subscription; then the known group is read.
 */
export async function listEverywhere<T>(ctx: { sink: EventSink; rg(): string }, what: string, all: () => AsyncIterable<T>, inGroup: (rg: string) => AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const x of all()) out.push(x);
    return out;
  } catch (err) {
    if (azureStatus(err) !== 403) throw err;
  }
  const rg = ctx.rg();
  ctx.sink({ level: 'warn', message: `not allowed to list ${what} across the subscription: looking in resource group ${rg} only` });
  out.length = 0;
  for await (const x of inGroup(rg)) out.push(x);
  return out;
}
