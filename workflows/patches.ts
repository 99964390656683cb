import { patched } from '@temporalio/workflow';
import { runLocal } from './run-local';

/**
 * The patches Ferry's workflows have, taken as one. Each patch marker costs a run two history
 * events (the marker, and the TemporalChangeVersion upsert the SDK adds with it), in every
 * promotion, stage, rollback and lock: a run started now records the newest baseline's one marker
 * instead of one per patch. A run started before replays the baseline or patches it recorded. A
 * patch is added to a new baseline, never to one that runs may already have recorded.
 */
const BASELINES = ['ferry-patches-baseline-1', 'ferry-patches-baseline-2', 'ferry-patches-baseline-3', 'ferry-patches-baseline-4', 'ferry-patches-baseline-5', 'ferry-patches-baseline-6'] as const;

/** Each patch a baseline took in, and the baseline (an index in BASELINES) that took it. */
const BASELINE_OF = {
  'lock-keeps-ledger': 0,
  'lock-handover-local': 0,
  'record-frees-holder': 0,
  'lock-wakes-when-idle': 0,
  'leave-with-record': 0,
  'record-in-ledger': 0,
  'move-environment-ref': 0,
  'check-release-policy': 0,
  'prepare-every-environment-first': 0,
  'rollback-checks-request-under-lock': 0,
  'search-attributes-keep-last-step': 0,
  'revert-keeps-blue-green': 0,
  'wait-for-cancelled-activities': 0,
  'prepare-and-verify': 0,
  'revert-undoes-database-first': 0,
  'rollback-publishes-its-gate-end': 0,
  'lock-asked-by-update': 1,
  'search-attributes-keep-start-values': 1,
  'lock-wakes-weekly': 2,
  'lock-checks-open-run-locally': 3,
  'lock-checks-when-waited-on': 4,
  'lock-starts-over-when-full': 5,
} as const;

export type BaselinePatch = keyof typeof BASELINE_OF;

/** Per run: the newest baseline it recorded, as an index in BASELINES, or -1 for none. */
const baselineTaken = runLocal<number>('patch-baseline');

/**
 * The first statement of every Ferry workflow. The baseline's marker belongs in the run's first
 * workflow task: asked later, a replay would meet the marker before the command that records it.
 * Only the newest is recorded; a run that recorded an older one replays with it, and takes each
 * newer patch one by one.
 */
export function takePatchBaseline(): void {
  baselineTaken.set(-1);
  for (let i = BASELINES.length - 1; i >= 0; i--) {
    if (patched(BASELINES[i])) {
      baselineTaken.set(i);
      return;
    }
  }
}

/** `patched(patchId)`, for a patch a baseline holds. */
export function hasPatch(patchId: BaselinePatch): boolean {
  const taken = baselineTaken.get();
  if (taken === undefined) throw new Error(`hasPatch('${patchId}') before takePatchBaseline(): a workflow takes the baseline in its first statement`);
  return taken >= BASELINE_OF[patchId] || patched(patchId);
}
