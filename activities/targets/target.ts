// What Ferry needs from a place that runs an app. Every method is idempotent: a retried or
// repeated call converges on the same state, so activities can be retried after any crash.

export interface TargetVersions {
  /** The version taking (the rest of) the traffic. */
  stable?: string;
  /** The version that was stable before it: what `rollback` puts back. */
  previous?: string;
  /** A version running beside the stable one: a canary, or blue-green's idle colour (weight 0). */
  canary?: { version: string; weight: number };
}

/** What the target itself can tell about one version, for analysis next to HTTP and Prometheus checks. */
export interface VersionSnapshot {
  version: string;
  /** Traffic the target saw reach this version since it got its current share (local proxy). */
  traffic?: { requests: number; errors: number; p95LatencyMs?: number; windowMs: number };
  /** Replicas and restarts (Kubernetes). */
  replicas?: { desired: number; ready: number; restarts: number };
  /** Broken facts the target sees directly: a crash loop, a process that exited, no ready replica. */
  problems: string[];
  /** Where HTTP checks reach exactly this version, when the target knows. */
  baseUrl?: string;
  /** The Kubernetes Service that reaches exactly this version: checks' and queries' {service}. */
  service?: string;
}

export interface Target {
  /**
   * Checks, before the stage changes anything, that `version` can run here: its secrets are set on
   * this worker, its manifests render. A problem is a non-retryable InvalidInput naming the field.
   */
  prepare(version: string): Promise<void>;
  versions(): Promise<TargetVersions>;
  /** Rolling: all traffic moves to `version`; the old stable becomes `previous`. */
  deploy(version: string): Promise<void>;
  /** Runs `version` beside the stable one with `weight`% of the traffic; 0 brings it up with none (blue-green). */
  setCanaryWeight(version: string, weight: number): Promise<void>;
  /** The canary (or idle colour) takes 100% and becomes stable; the old stable becomes `previous`. */
  promote(version: string): Promise<void>;
  /** Stops what still runs of the previous version once it is no longer needed for an instant switch back. */
  retirePrevious(version: string): Promise<void>;
  /** Takes `version` out and puts back what ran before it; a no-op when `version` is not there. */
  rollback(version: string): Promise<void>;
  /** What the target sees of `version` over the last `windowMs` (or since its share last changed). */
  snapshot(version: string, windowMs: number): Promise<VersionSnapshot>;
}
