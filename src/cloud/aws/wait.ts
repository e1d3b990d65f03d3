import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';

// One abortable sleep for the project; re-exported for the AWS modules that import it from here.
export { sleep } from '../../util/sleep.js';
import { sleep } from '../../util/sleep.js';

/** Between half and all of ms, so pollers started together drift apart. */
export function jitter(ms: number): number {
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type InstanceTarget = 'running' | 'terminated';

export type WatchOutcome =
  | { kind: 'reached'; instance?: Instance }
  /** The instance went somewhere the target cannot be reached from (running → terminated). */
  | { kind: 'failed'; state: string; reason?: string }
  | { kind: 'timeout'; state?: string }
  | { kind: 'aborted' }
  | { kind: 'error'; error: unknown };

export interface PollTiming {
  pollMinMs: number;
  pollMaxMs: number;
}

interface Watch {
  target: InstanceTarget;
  deadline: number;
  settle: (outcome: WatchOutcome) => void;
}

const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Waits for many instances with one DescribeInstances per round instead of one waiter per
 * instance: a 100-VM pool would otherwise spend EC2's request budget on polling alone.
 * Instances are looked up by filter, not InstanceIds, because one id that is not visible yet
 * (EC2 is eventually consistent right after RunInstances) fails a whole InstanceIds call.
 */
export class InstanceWatcher {
  private readonly pending = new Map<string, Watch>();
  private running = false;

  constructor(
    private readonly ec2: EC2Client,
    private readonly timing: PollTiming,
    private readonly signal?: AbortSignal,
  ) {}

  watch(instanceId: string, target: InstanceTarget, timeoutMs: number): Promise<WatchOutcome> {
    if (this.signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    return new Promise((resolve) => {
      this.pending.set(instanceId, { target, deadline: Date.now() + timeoutMs, settle: resolve });
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    let delay = this.timing.pollMinMs;
    try {
      while (this.pending.size > 0) {
        await sleep(jitter(delay), this.signal);
        if (this.signal?.aborted) {
          for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'aborted' });
          break;
        }
        await this.round();
        delay = Math.min(this.timing.pollMaxMs, Math.round(delay * 1.5));
      }
    } catch (error) {
      for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'error', error });
    } finally {
      this.running = false;
    }
  }

  private async round(): Promise<void> {
    for (const ids of chunks([...this.pending.keys()], 100)) {
      let found: Map<string, Instance>;
      try {
        found = await this.describe(ids);
      } catch (error) {
        for (const id of ids) this.settle(id, this.signal?.aborted ? { kind: 'aborted' } : { kind: 'error', error });
        continue;
      }
      const now = Date.now();
      for (const id of ids) {
        const watch = this.pending.get(id);
        if (!watch) continue;
        const instance = found.get(id);
        const state = instance?.State?.Name;
        if (watch.target === 'running') {
          if (state === 'running') this.settle(id, { kind: 'reached', instance });
          else if (state && GONE.has(state)) this.settle(id, { kind: 'failed', state, ...(instance?.StateReason?.Message ? { reason: instance.StateReason.Message } : {}) });
          else if (now > watch.deadline) this.settle(id, { kind: 'timeout', ...(state ? { state } : {}) });
        } else if (state === 'terminated' || instance === undefined) {
          // Terminated instances drop out of DescribeInstances after about an hour.
          this.settle(id, instance ? { kind: 'reached', instance } : { kind: 'reached' });
        } else if (now > watch.deadline) {
          this.settle(id, { kind: 'timeout', ...(state ? { state } : {}) });
        }
      }
    }
  }

  private async describe(ids: string[]): Promise<Map<string, Instance>> {
    const found = new Map<string, Instance>();
    let NextToken: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }], NextToken }), this.signal ? { abortSignal: this.signal } : {});
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) found.set(i.InstanceId, i);
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  }

  private settle(id: string, outcome: WatchOutcome): void {
    const watch = this.pending.get(id);
    if (!watch) return;
    this.pending.delete(id);
    watch.settle(outcome);
  }
}
