import type { EventSink } from '../output/output.js';
import type { PlanStep } from '../plan/steps.js';

export interface StepOutcome {
  id: string;
  status: 'done' | 'failed' | 'skipped';
  seconds: number;
  /** Why it failed or was skipped. */
  reason?: string;
}

/**
 * Runs the plan's top-level steps by id, in the plan's order, reporting each as it starts and
 * recording how it ended: the result says which steps happened (what exists now) when a run
 * stops half-way. A step the plan does not have is a bug in the executor, never a silent extra.
 */
export class StepRunner {
  readonly outcomes: StepOutcome[] = [];
  private readonly index: Map<string, number>;

  constructor(
    private readonly steps: PlanStep[],
    private readonly sink: EventSink,
    private readonly now: () => number = Date.now,
  ) {
    this.index = new Map(steps.map((s, i) => [s.id, i]));
  }

  private step(id: string): PlanStep {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`step ${id} is not in the plan (${[...this.index.keys()].join(', ')})`);
    return this.steps[i]!;
  }

  /** `now` says what the step does this time when it differs from the plan (a pool topped up). */
  async run<T>(id: string, fn: () => Promise<T>, now?: string): Promise<T> {
    const step = this.step(id);
    const started = this.now();
    this.sink({ level: 'info', message: `step ${this.index.get(id)! + 1}/${this.steps.length}: ${now ?? step.describe}` });
    try {
      const value = await fn();
      this.outcomes.push({ id, status: 'done', seconds: seconds(this.now() - started) });
      return value;
    } catch (err) {
      this.outcomes.push({ id, status: 'failed', seconds: seconds(this.now() - started), reason: (err as Error).message });
      throw err;
    }
  }

  skip(id: string, reason: string): void {
    this.step(id);
    this.outcomes.push({ id, status: 'skipped', seconds: 0, reason });
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
