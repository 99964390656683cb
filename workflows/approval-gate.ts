import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FailureType } from '../common/errors';
import type { z } from 'zod';
import type { ApprovalConfig } from '../common/config-schema';
import { formatDuration } from '../common/duration';
import { approvePayloadSchema, approveSignal, decidePayloadSchema, decideUpdate, rejectPayloadSchema, rejectSignal, type DecisionPayload } from '../common/messages';
import { parseMessage } from '../common/inbound-message';
import type { ApprovalRecord, EnvironmentStatus } from '../common/status';

export type GateOutcome = 'approved' | 'rejected' | 'timed-out' | 'interrupted';

interface Waiting {
  environment: EnvironmentStatus;
  config: ApprovalConfig;
  outcome?: 'approved' | 'rejected';
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Human approval before an environment, in the manner of GitHub's required reviewers: a quorum,
 * an allow-list, no approving your own change, and a deadline. Decisions come as signals (the
 * Web UI) or as an Update (the CLI, which hears at once why a decision was refused).
 */
export class ApprovalGate {
  private waiting?: Waiting;

  constructor(
    /** People who may not approve: the commit's author and whoever started the promotion. */
    private readonly selfIdentities: () => string[],
    private readonly ignore: (signal: string, reason: string, payload: unknown) => void,
    private readonly changed: () => void,
  ) {
    setHandler(approveSignal, (raw) => this.fromSignal('approve', approvePayloadSchema, raw, 'approve'));
    setHandler(rejectSignal, (raw) => this.fromSignal('reject', rejectPayloadSchema, raw, 'reject'));
    // The handler gets the raw payload; it decides on the parsed one, as the validator did.
    setHandler(decideUpdate, (raw) => this.decide(decidePayloadSchema.parse(raw), 'update'), {
      validator: (raw) => {
        const parsed = parseMessage(decidePayloadSchema, raw);
        if (!parsed.ok) throw new Error(parsed.reason);
        const refusal = this.refusal(parsed.data);
        if (refusal) throw new Error(refusal);
      },
    });
  }

  /**
   * Opens the gate, announces it (decisions may arrive while the announcement goes out), then
   * waits for the quorum, a rejection, the deadline, or `interrupted()` (an abort).
   */
  async wait(environment: EnvironmentStatus, config: ApprovalConfig, interrupted: () => boolean, announce: () => Promise<void>): Promise<GateOutcome> {
    const deadline = Date.now() + config.timeout;
    environment.approval = { required: config.required, approvers: config.approvers, received: [], deadline: new Date(deadline).toISOString() };
    this.waiting = { environment, config };
    this.changed();
    try {
      if (interrupted()) return 'interrupted';
      await announce();
      const decided = await condition(() => this.waiting?.outcome !== undefined || interrupted(), Math.max(deadline - Date.now(), 1), {
        summary: `approval of ${environment.name} (${config.required} needed, ${formatDuration(config.timeout)} to answer)`,
      });
      if (!decided) return this.timeOut(environment, config);
      return this.waiting.outcome ?? 'interrupted';
    } finally {
      this.waiting = undefined;
    }
  }

  private timeOut(environment: EnvironmentStatus, config: ApprovalConfig): GateOutcome {
    const decision = config.onTimeout === 'approve' ? 'approve' : 'reject';
    environment.approval?.received.push({ approver: 'ferry', decision, at: new Date().toISOString(), via: 'timeout' });
    return config.onTimeout === 'approve' ? 'approved' : 'timed-out';
  }

  private fromSignal(name: string, schema: z.ZodType<Omit<DecisionPayload, 'decision'>>, raw: unknown, decision: DecisionPayload['decision']): void {
    const parsed = parseMessage(schema, raw);
    if (!parsed.ok) return this.ignore(name, parsed.reason, raw);
    const payload = { ...parsed.data, decision } as DecisionPayload;
    const refusal = this.refusal(payload);
    if (refusal) return this.ignore(name, refusal, raw);
    this.decide(payload, 'signal');
  }

  /** Why a decision does not count, or undefined when it does. Pure: the Update validator calls it too. */
  private refusal(payload: DecisionPayload): string | undefined {
    const waiting = this.waiting;
    if (!waiting || waiting.outcome) return `${payload.environment} is not waiting for approval`;
    const { environment, config } = waiting;
    if (environment.name !== payload.environment) {
      return `${payload.environment} is not waiting for approval (${environment.name} is)`;
    }
    if (config.approvers && !config.approvers.some((allowed) => same(allowed, payload.approver))) {
      return `${payload.approver} may not decide on ${environment.name} (allowed: ${config.approvers.join(', ')})`;
    }
    if (payload.decision === 'approve') {
      if (config.preventSelfApproval && this.selfIdentities().some((self) => same(self, payload.approver))) {
        return `${payload.approver} wrote or started this release and may not approve it (self-approval is not allowed)`;
      }
      if (environment.approval?.received.some((r) => same(r.approver, payload.approver))) {
        return `${payload.approver} has already decided on ${environment.name}`;
      }
    }
    return undefined;
  }

  private decide(payload: DecisionPayload, via: ApprovalRecord['via']): EnvironmentStatus['approval'] {
    const waiting = this.waiting;
    // The validator ran before this, but a signal in the same task may have settled the gate.
    const refusal = this.refusal(payload);
    if (!waiting || refusal) {
      const reason = refusal ?? `${payload.environment} is not waiting for approval`;
      if (via === 'update') throw ApplicationFailure.nonRetryable(reason, FailureType.InvalidInput);
      this.ignore(payload.decision, reason, payload);
      return undefined;
    }
    const approval = waiting.environment.approval!;
    approval.received.push({
      approver: payload.approver,
      decision: payload.decision,
      at: new Date().toISOString(),
      comment: payload.decision === 'approve' ? payload.comment : payload.reason,
      via,
    });
    if (payload.decision === 'reject') waiting.outcome = 'rejected';
    else if (approval.received.filter((r) => r.decision === 'approve').length >= approval.required) waiting.outcome = 'approved';
    this.changed();
    return approval;
  }
}
