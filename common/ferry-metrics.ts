// Ferry's own metrics: their names (Prometheus conventions: ferry_ prefix, _total on counters,
// _seconds on durations) and histogram buckets. The workflows emit them (workflows/metrics.ts);
// the worker's runtime gives the histograms these buckets (worker/telemetry/install-runtime.ts).

export const FERRY_METRICS = {
  promotionsStarted: 'ferry_promotions_started_total',
  promotionsFinished: 'ferry_promotions_finished_total',
  rollbacksFinished: 'ferry_rollbacks_finished_total',
  stageDuration: 'ferry_stage_duration_seconds',
  stepDuration: 'ferry_step_duration_seconds',
  approvalWait: 'ferry_approval_wait_seconds',
  lockWait: 'ferry_lock_wait_seconds',
} as const;

// Steps run from a second (a skipped build) to hours (a slow canary); approvals and locks wait
// from nothing to days (an approval's timeout is 72h by default).
const STEP_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const WAIT_BUCKETS = [1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600];

/** Bucket boundaries (seconds) per histogram; the SDK's default ones are for milliseconds. */
export const FERRY_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [FERRY_METRICS.stageDuration]: STEP_BUCKETS,
  [FERRY_METRICS.stepDuration]: STEP_BUCKETS,
  [FERRY_METRICS.approvalWait]: WAIT_BUCKETS,
  [FERRY_METRICS.lockWait]: WAIT_BUCKETS,
};
