import { randomUUID } from 'node:crypto';
import { InterruptedError, OperationError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import { sleep } from '../../util/sleep.js';
import type { GceClients, protos } from './clients.js';
import { describeOperationError, type OperationErrors } from './errors.js';

/** Where the provider works: the project, the zone, and the zone's region. */
export interface Scope {
  project: string;
  zone: string;
  region: string;
}

export type Operation = protos.google.cloud.compute.v1.IOperation;

export interface OperationTiming {
  /** How long to wait for one operation (insert, delete, firewall) before giving up. */
  operationTimeoutMs: number;
  /** Pause between operation polls when the wait call returns before DONE. */
  pollMs: number;
}

/** One API call, retried on rate limits and 5xx (the provider's, which owns the clients and the retry notices). */
export type GceCall = <T>(action: string, fn: (c: GceClients) => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** What every per-resource module needs of the provider. */
export interface GceContext {
  call: GceCall;
  sink: EventSink;
  tuning: OperationTiming;
  /** The custom endpoint, once the clients exist (error messages name it). */
  endpoint(): string | undefined;
}

/** Waits until a zone or global operation is DONE; its error (not thrown by the SDK) is returned. */
export async function waitOperation(ctx: GceContext, op: Operation | null | undefined, s: Scope, where: 'zone' | 'global', signal?: AbortSignal): Promise<Operation> {
  if (!op?.name) throw new OperationError('Compute Engine returned no operation');
  const deadline = Date.now() + ctx.tuning.operationTimeoutMs;
  let current: Operation = op;
  while (String(current.status) !== 'DONE') {
    if (signal?.aborted) throw new InterruptedError(`interrupted while waiting for operation ${op.name}`);
    if (Date.now() > deadline) {
      const limit = ctx.tuning.operationTimeoutMs;
      throw new OperationError(`operation ${op.name} is not done after ${limit >= 60_000 ? `${Math.round(limit / 60_000)} min` : limit >= 1000 ? `${Math.round(limit / 1000)} s` : `${limit} ms`} (${String(current.status)})`, {
        hint: `\`gcloud compute operations describe ${op.name}\` shows where it is`,
      });
    }
    const name = op.name;
    // wait returns when the operation is DONE or after about two minutes, whichever is first.
    const [next] =
      where === 'zone'
        ? await ctx.call('compute.zoneOperations.wait', (c) => c.zoneOperations.wait({ project: s.project, zone: s.zone, operation: name }), signal)
        : await ctx.call('compute.globalOperations.wait', (c) => c.globalOperations.wait({ project: s.project, operation: name }), signal);
    current = next;
    if (String(current.status) !== 'DONE') await sleep(ctx.tuning.pollMs, signal);
  }
  return current;
}

export function opError(op: Operation): OperationErrors | undefined {
  const errors = op.error?.errors;
  return errors && errors.length > 0 ? { errors: errors.map((e) => ({ code: e.code ?? null, message: e.message ?? null })) } : undefined;
}

/** A firewall change and its wait. One requestId across retries: a retried insert is not a duplicate. */
export async function globalOp(ctx: GceContext, s: Scope, action: string, fn: (c: GceClients, requestId: string) => Promise<unknown>): Promise<void> {
  const requestId = randomUUID();
  const [lro] = (await ctx.call(action, (c) => fn(c, requestId))) as [{ latestResponse?: Operation }];
  const done = await waitOperation(ctx, lro.latestResponse, s, 'global');
  const error = opError(done);
  if (error) throw new OperationError(`${action} failed: ${describeOperationError(error, { project: s.project }).message}`);
}
