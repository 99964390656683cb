import { isCancellation } from '@temporalio/workflow';
import type { StepName, StepState, StepStatus } from '../common/status';
import { stepBegan, stepEnded } from './metrics';

/** The innermost message of a failure chain: "canary analysis failed: error rate 12%", not "Activity task failed". */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

const now = () => new Date().toISOString();

/** The step in progress (running, or waiting on people or time), for search attributes. */
export const activeStep = (steps: StepStatus[]): StepStatus | undefined => steps.findLast((s) => s.state === 'running' || s.state === 'waiting');

/**
 * Records each step of a pipeline as it runs, for the status query and the Web UI; each step's
 * begin and end are also logged, and its duration goes to the metrics (workflows/metrics.ts).
 */
export class StepLog {
  /** When each step's current round began (workflow time), for its duration. */
  private readonly began = new WeakMap<StepStatus, number>();

  constructor(
    readonly steps: StepStatus[],
    private readonly changed: () => void,
  ) {}

  /** Lists the steps to come, so the status shows the whole plan from the start. */
  plan(names: StepName[]): void {
    for (const name of names) this.steps.push({ name, state: 'pending', attempts: 0 });
    this.changed();
  }

  /**
   * Starts the step planned (or waiting) under `name`, else a new one. `again`: a step that runs in
   * rounds (verify after each canary weight) starts its last record over, its attempts counting the rounds.
   */
  begin(name: StepName, state: StepState = 'running', detail?: string, { again = false } = {}): StepStatus {
    let step = this.steps.find((s) => s.name === name && (s.state === 'pending' || s.state === 'waiting'));
    if (!step && again) {
      step = this.steps.findLast((s) => s.name === name);
      if (step) {
        delete step.endedAt;
        delete step.error;
      }
    }
    if (!step) {
      step = { name, state, attempts: 0 };
      this.steps.push(step);
    }
    Object.assign(step, { state, detail, attempts: step.attempts + 1, startedAt: step.startedAt ?? now() });
    this.began.set(step, Date.now());
    this.changed();
    if (state !== 'skipped') stepBegan(step);
    return step;
  }

  update(step: StepStatus, detail: string): void {
    step.detail = detail;
    this.changed();
  }

  end(step: StepStatus, state: StepState, detail = step.detail, error?: string): void {
    Object.assign(step, { state, detail, error, endedAt: now() });
    this.changed();
    const began = this.began.get(step);
    // A skipped step never ran: nothing to time.
    if (began !== undefined && state !== 'skipped') stepEnded(step, began);
  }

  skip(name: StepName, detail: string): void {
    this.end(this.begin(name, 'skipped', detail), 'skipped');
  }

  async run<T>(name: StepName, work: (step: StepStatus) => Promise<T>, describe?: (result: T) => string, { again = false } = {}): Promise<T> {
    const step = this.begin(name, 'running', undefined, { again });
    try {
      const result = await work(step);
      this.end(step, 'succeeded', describe ? describe(result) : step.detail);
      return result;
    } catch (error) {
      this.end(step, isCancellation(error) ? 'cancelled' : 'failed', step.detail, rootMessage(error));
      throw error;
    }
  }

  /** Marks whatever never started as skipped, so a finished status has no loose ends. */
  closePending(detail: string): void {
    for (const step of this.steps) {
      if (step.state === 'pending' || step.state === 'waiting') Object.assign(step, { state: 'skipped', detail });
    }
    this.changed();
  }
}
