import { patched } from '@temporalio/workflow';

/**
 * The patches Ferry's workflows had when they began to take them as one. Each patch marker costs a
 * run two history events (the marker, and the TemporalChangeVersion upsert the SDK adds with it),
 * in every promotion, stage, rollback and lock: a run started since then records the one marker
 * below instead of one per patch. A run started before replays its patches one by one, as it
 * recorded them. A patch added later is not listed here: it is asked for with `patched` until a
 * newer baseline takes it in.
 */
const BASELINE = 'ferry-patches-baseline-1';

export type BaselinePatch =
  | 'lock-keeps-ledger'
  | 'lock-handover-local'
  | 'record-frees-holder'
  | 'lock-wakes-when-idle'
  | 'leave-with-record'
  | 'record-in-ledger'
  | 'move-environment-ref'
  | 'check-release-policy'
  | 'prepare-every-environment-first'
  | 'rollback-checks-request-under-lock'
  | 'search-attributes-keep-last-step'
  | 'revert-keeps-blue-green'
  | 'wait-for-cancelled-activities'
  | 'prepare-and-verify'
  | 'revert-undoes-database-first'
  | 'rollback-publishes-its-gate-end';

/** Per run: each workflow has its own module state (the SDK gives each its own module cache). */
let sinceBaseline: boolean | undefined;

/**
 * The first statement of every Ferry workflow. The baseline's marker belongs in the run's first
 * workflow task: asked later, a replay would meet the marker before the command that records it.
 */
export function takePatchBaseline(): void {
  sinceBaseline = patched(BASELINE);
}

/** `patched(patchId)`, for a patch the baseline holds. */
export function hasPatch(patchId: BaselinePatch): boolean {
  if (sinceBaseline === undefined) throw new Error(`hasPatch('${patchId}') before takePatchBaseline(): a workflow takes the baseline in its first statement`);
  return sinceBaseline || patched(patchId);
}
