// The Temporal contract of a promotion: what the Web UI, the CLI and the tests send and read.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { EnvironmentStatus, PromotionStatus } from './status';

const who = z.string().trim().min(1, 'must name a person').max(200);

export const approvePayloadSchema = z
  .object({ environment: z.string().min(1), approver: who, comment: z.string().max(2000).optional() })
  .strict();
export const rejectPayloadSchema = z
  .object({ environment: z.string().min(1), approver: who, reason: z.string().trim().min(1, 'must say why').max(2000) })
  .strict();
export const abortPayloadSchema = z
  .object({ by: who, reason: z.string().trim().min(1, 'must say why').max(2000) })
  .strict();
export const decidePayloadSchema = z.discriminatedUnion('decision', [
  approvePayloadSchema.extend({ decision: z.literal('approve') }),
  rejectPayloadSchema.extend({ decision: z.literal('reject') }),
]);

export type ApprovePayload = z.infer<typeof approvePayloadSchema>;
export type RejectPayload = z.infer<typeof rejectPayloadSchema>;
export type AbortPayload = z.infer<typeof abortPayloadSchema>;
export type DecisionPayload = z.infer<typeof decidePayloadSchema>;

// Signal payloads arrive untyped from the Web UI: the workflow validates them itself.
export const approveSignal = defineSignal<[unknown]>('approve');
export const rejectSignal = defineSignal<[unknown]>('reject');
export const abortSignal = defineSignal<[unknown]>('abort');
/** The CLI's way to approve or reject: the validator answers at once whether it counts. */
export const decideUpdate = defineUpdate<EnvironmentStatus['approval'], [DecisionPayload]>('decide');
export const statusQuery = defineQuery<PromotionStatus>('status');

// Between Ferry's own workflows.
export const stageStatusQuery = defineQuery<EnvironmentStatus>('status');
export const lockAcquireSignal = defineSignal<[{ requester: string }]>('acquire');
export const lockReleaseSignal = defineSignal<[{ requester: string }]>('release');
export const lockGrantedSignal = defineSignal<[{ lock: string }]>('lockGranted');
