// The local target: each version a web process on a port of its own, behind the environment's
// weighted proxy, and its other processes (workers) beside it, all run and stopped as one. What
// runs is kept in a state file, so a restarted worker carries on.
import path from 'node:path';
import type { SourceRef } from '../../../common/activity-contracts';
import type { AppEnvironment } from '../../../common/app-environment';
import type { StrategyConfig, TargetConfig } from '../../../common/config-schema';
import type { Target, TargetVersions, VersionSnapshot } from '../target';
import { isRunning, logTail, stopApp } from './app-process';
import { appVariables } from './app-variables';
import { ProxyControl } from './proxy-control';
import { fingerprintSecrets, secretsChangedSince } from './secret-fingerprints';
import { pruneReleases, releaseFolder } from './release-folder';
import type { Routes } from './routes';
import { StateFile, type LocalState, type Release, type RunningVersion } from './state';
import { startVersion } from './version-start';

export type LocalTargetConfig = Extract<TargetConfig, { kind: 'local' }>;

export interface LocalTargetContext {
  app: string;
  environment: string;
  strategy: StrategyConfig['kind'];
  /** The commit of the version being promoted; versions already running carry their own. */
  source: SourceRef;
  /** Where environments keep their state, releases, logs and proxy socket. */
  stateDir: string;
  /** What the version being promoted gets; versions already running keep their own. */
  appEnvironment?: AppEnvironment;
  /** How long a version's other processes must stay up as it starts; the 2 s of SETTLE_MS unless set. */
  settleMs?: number;
  signal?: AbortSignal;
  heartbeat?: (detail?: unknown) => void;
}

/** Keeps operations on one environment in order within a worker; the environment lock orders promotions. */
const queues = new Map<string, Promise<unknown>>();

function environmentFiles(config: LocalTargetConfig, where: { stateDir: string; app: string; environment: string }) {
  const dir = path.join(where.stateDir, where.app, where.environment);
  const proxy = new ProxyControl(
    {
      environment: where.environment,
      port: config.port,
      metricsPort: config.metricsPort,
      socketPath: path.join(dir, 'proxy.sock'),
      routesFile: path.join(dir, 'routes.json'),
    },
    path.join(dir, 'logs', 'proxy.log'),
  );
  return { dir, state: new StateFile(path.join(dir, 'state.json')), releasesDir: path.join(dir, 'releases'), proxy };
}

/** Stops an environment's proxy and every version it runs, for shutting a single host down; the state file keeps what ran. */
export async function stopLocalEnvironment(config: LocalTargetConfig, where: { stateDir: string; app: string; environment: string }): Promise<void> {
  const { state, proxy } = environmentFiles(config, where);
  await proxy.stop();
  const s = await state.read();
  await Promise.all([s.stable, s.canary, s.previous, ...(s.stopping ?? [])].flatMap((v) => (v ? pidsOf(v) : [])).map(stopApp));
}

/** What only a single host needs beyond the Target calls: bringing its environment back after a reboot. */
export interface LocalTarget extends Target {
  /** Starts the stable version again (every process of it) if one of its processes is gone, and drops a dead canary. */
  resume(): Promise<void>;
}

export function localTarget(config: LocalTargetConfig, context: LocalTargetContext): LocalTarget {
  const { dir, state, releasesDir, proxy } = environmentFiles(config, context);

  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = (queues.get(dir) ?? Promise.resolve()).catch(() => undefined).then(work);
    queues.set(dir, run);
    return run;
  };

  /** Reads the state, brings the proxy up if it is down, and hands it the routes the state implies. */
  async function current(): Promise<LocalState> {
    const s = await state.read();
    if (await proxy.ensureRunning()) await proxy.setRoutes(routesOf(s));
    if (s.stopping?.length) return finishStopping(s);
    return s;
  }

  /** Stopping is journalled in the state first, so a worker that dies half-way finishes it next time. */
  async function finishStopping(s: LocalState): Promise<LocalState> {
    for (const old of s.stopping ?? []) {
      await proxy.drain(old.version);
      await Promise.all(pidsOf(old).map(stopApp));
    }
    const done = { ...s, stopping: undefined };
    await state.write(done);
    await pruneReleases(
      releasesDir,
      [done.stable?.sha, done.canary?.sha, done.previous?.sha].filter((sha): sha is string => !!sha),
    );
    return done;
  }

  /**
   * Where a process of a version logs, from its commit and name (both checked by the state's
   * schema), never from a path on record. Versions started before their processes were recorded
   * (no process list) logged their web process to <sha12>.log.
   */
  const logFile = (version: Pick<Release, 'sha' | 'processes'>, processName: string) =>
    path.join(dir, 'logs', version.processes ? `${version.sha.slice(0, 12)}-${processName}.log` : `${version.sha.slice(0, 12)}.log`);

  /** Starts every process of `release` as it was first given them, not as today's config says. */
  async function start(release: Release): Promise<RunningVersion> {
    const cwd = await releaseFolder(releasesDir, { repo: context.source.repo, sha: release.sha }, context.signal);
    let spawnedPid: number | undefined;
    // Each release keeps what it was started with: a rollback restarts the previous one as it ran.
    const app = appVariables(release.app);
    // Read in the same turn as the values above: what the version's log may hold, not their values.
    const secretFingerprints = fingerprintSecrets(release.app);
    const declared = (release.processes ?? []).map(({ name, start }) => ({ name, start }));
    // Recorded even when empty: a version with a process list logs each process to a file of its own.
    const logOf = (name: string) => logFile({ sha: release.sha, processes: declared }, name);
    const asRunning = (started: { pid: number; port: number; processes: Array<{ name: string; pid: number }> }): RunningVersion => ({
      ...identity(release),
      secretFingerprints,
      port: started.port,
      pid: started.pid,
      processes: declared.map((p, i) => ({ ...p, pid: started.processes[i].pid })),
    });
    const started = await startVersion({
      version: release.version,
      web: { command: release.start ?? config.start, logFile: logOf('web') },
      others: declared.map(({ name, start }) => ({ name, command: start, logFile: logOf(name) })),
      cwd,
      env: { ...app.env, VERSION: release.version, COMMIT: release.sha, ENVIRONMENT: context.environment },
      mask: app.mask,
      healthUrl: (port) => `http://127.0.0.1:${port}${config.healthPath}`,
      startTimeoutMs: config.startTimeout,
      settleMs: context.settleMs,
      signal: context.signal,
      onWait: () => context.heartbeat?.({ starting: release.version }),
      // Journalled as one to stop, every process of it, until a commit records it as running: a
      // worker that dies while it starts leaves no process behind that the state does not know.
      onSpawn: async (spawned) => {
        spawnedPid = spawned.pid;
        const s = await state.read();
        await state.write({ ...s, stopping: [...(s.stopping ?? []), asRunning(spawned)] });
      },
    }).catch(async (error: unknown) => {
      // startVersion stopped what it started: nothing is left for the journal to stop.
      const s = await state.read();
      const stopping = s.stopping?.filter((p) => p.pid !== spawnedPid);
      await state.write({ ...s, stopping: stopping?.length ? stopping : undefined });
      throw error;
    });
    return asRunning(started);
  }

  /**
   * The tail of a process's log, masked with the worker's values of the version's secrets. The log
   * holds the values the version was started with: if any of them is now different or gone, the
   * masker cannot know them, and the log is not quoted at all.
   */
  function quotedLog(version: Release, processName: string): string {
    const file = logFile(version, processName);
    const changed = secretsChangedSince(version.app, version.secretFingerprints);
    if (changed.length > 0) {
      return `output withheld: the secrets ${changed.join(', ')} it was started with have changed or are gone on this worker; see ${file}`;
    }
    return logTail(file, appVariables(version.app, { requireAll: false }).mask);
  }

  /** The running processes of `release` if all are alive, else a fresh start of them all. */
  const ensureRunning = (release: Release, running?: RunningVersion) => (running && running.sha === release.sha && allRunning(running) ? Promise.resolve(running) : start(release));

  /** Routes traffic as `next` says, records it, then stops (after draining) what `next` no longer runs. */
  async function commit(before: LocalState, next: LocalState): Promise<void> {
    const stillUsed = new Set(processesOf(next).map((p) => p.pid));
    const stopping = processesOf(before).filter((p) => !stillUsed.has(p.pid));
    await proxy.setRoutes(routesOf(next));
    await state.write({ ...next, stopping });
    await finishStopping({ ...next, stopping });
  }

  const release = (version: string): Release => ({
    version,
    sha: context.source.sha,
    app: context.appEnvironment,
    start: config.start,
    processes: config.processes ?? [],
  });

  return {
    // Secrets are read as a version starts; a missing one is found now, before the stage migrates.
    prepare: async () => {
      appVariables(context.appEnvironment);
    },

    versions: () =>
      serially(async () => {
        const s = await state.read();
        const canary = s.canary && { version: s.canary.version, weight: s.canary.weight };
        return { stable: s.stable?.version, previous: s.previous?.version, canary } satisfies TargetVersions;
      }),

    deploy: (version) =>
      serially(async () => {
        const s = await current();
        if (s.stable?.version === version && allRunning(s.stable) && !s.canary) return;
        const next = await ensureRunning(release(version), s.stable?.version === version ? s.stable : undefined);
        const replaced = s.stable?.version === version ? s.previous : s.stable;
        await commit(s, { stable: running(next), previous: replaced && stopped(replaced) });
      }),

    setCanaryWeight: (version, weight) =>
      serially(async () => {
        const s = await current();
        const started = await ensureRunning(release(version), s.canary?.version === version ? s.canary : undefined);
        if (s.canary && s.canary.pid === started.pid && s.canary.weight === weight) return;
        await commit(s, { ...s, canary: { ...started, weight } });
      }),

    promote: (version) =>
      serially(async () => {
        const s = await current();
        if (s.stable?.version === version && !s.canary) return;
        const promoted = await ensureRunning(release(version), s.canary?.version === version ? s.canary : undefined);
        const replaced = s.stable?.version === version ? s.previous : s.stable;
        // The old colour keeps running where it serves an instant switch back: blue-green.
        const previous = replaced && (context.strategy === 'blue-green' && hasProcess(replaced) ? running(replaced) : stopped(replaced));
        await commit(s, { stable: running(promoted), previous });
      }),

    retirePrevious: () =>
      serially(async () => {
        const s = await current();
        if (!s.previous?.pid) return;
        await commit(s, { ...s, previous: stopped(s.previous) });
      }),

    rollback: (version) =>
      serially(async () => {
        const s = await current();
        if (s.canary?.version === version) {
          await commit(s, { ...s, canary: undefined });
          return;
        }
        if (s.stable?.version !== version) return; // never got in, or already rolled back
        const before = s.previous;
        const restored = before && (await ensureRunning(before, hasProcess(before) ? before : undefined));
        await commit(s, { stable: restored && running(restored) });
      }),

    resume: () =>
      serially(async () => {
        const s = await current();
        const stableAlive = s.stable && allRunning(s.stable);
        const canaryAlive = s.canary && allRunning(s.canary);
        if ((!s.stable || stableAlive) && (!s.canary || canaryAlive)) return;
        const stable = s.stable && (stableAlive ? s.stable : running(await start(s.stable)));
        await commit(s, { ...s, stable, canary: canaryAlive ? s.canary : undefined });
      }),

    snapshot: (version, windowMs) =>
      serially(async () => {
        const s = await current();
        const running = [s.canary, s.stable].find((r) => r?.version === version);
        const problems: string[] = [];
        if (!running) problems.push(`${version} is not running in ${context.environment}`);
        else {
          const web = { name: 'web', pid: running.pid };
          for (const process of [web, ...(running.processes ?? [])].filter((p) => !isRunning(p.pid))) {
            problems.push(`${version}'s ${process.name} process (pid ${process.pid}) has exited: ${quotedLog(running, process.name)}`);
          }
        }
        const stats = await proxy.stats(version, windowMs);
        return {
          version,
          traffic: { requests: stats.requests, errors: stats.errors, p95LatencyMs: stats.p95LatencyMs, windowMs: stats.windowMs },
          problems,
          baseUrl: running ? `http://127.0.0.1:${running.port}` : undefined,
        } satisfies VersionSnapshot;
      }),
  };
}

function routesOf(s: LocalState): Routes {
  return {
    stable: s.stable && { version: s.stable.version, port: s.stable.port },
    canary: s.canary && { version: s.canary.version, port: s.canary.port, weight: s.canary.weight },
  };
}

/** The versions a state runs; a version's web pid names it (its processes start and stop together). */
const processesOf = (s: LocalState): RunningVersion[] => [s.stable, s.canary, s.previous].filter((p): p is RunningVersion => p !== undefined && hasProcess(p));
/** Every pid of a version that may still run: its web process's, then its other processes'. */
const pidsOf = (v: NonNullable<LocalState['previous']>): number[] => [v.pid, ...(v.processes ?? []).map((p) => p.pid)].filter((pid): pid is number => pid !== undefined);
const allRunning = (v: RunningVersion): boolean => pidsOf(v).every(isRunning);
const identity = ({ version, sha, app, start, secretFingerprints }: Release): Pick<Release, 'version' | 'sha' | 'app' | 'start' | 'secretFingerprints'> => ({
  version,
  sha,
  app,
  ...(start ? { start } : {}),
  ...(secretFingerprints ? { secretFingerprints } : {}),
});
const running = ({ version, sha, app, start, secretFingerprints, processes, port, pid }: RunningVersion): RunningVersion => ({
  ...identity({ version, sha, app, start, secretFingerprints }),
  port,
  pid,
  ...(processes ? { processes } : {}),
});
/** What a stopped version keeps: not the fingerprints, which describe a start that is over (the next one takes its own). */
const stopped = ({ version, sha, app, start, processes }: Release): Release => ({
  ...identity({ version, sha, app, start }),
  ...(processes ? { processes: processes.map(({ name, start }) => ({ name, start })) } : {}),
});
const hasProcess = (previous: NonNullable<LocalState['previous']>): previous is RunningVersion =>
  previous.pid !== undefined && previous.port !== undefined && (previous.processes ?? []).every((p) => p.pid !== undefined);
