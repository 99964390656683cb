// build and test as real shell processes in real worktrees, run through MockActivityEnvironment.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CancelledFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { commandRecordsDir } from '../../activities/command-records';
import { build, test as runTests } from '../../activities/commands';
import type { CommandInput, CommandResult } from '../../common/activity-contracts';
import { FailureType } from '../../common/errors';
import { removeTempDirs, sampleRepo, tempDir, type SampleRepo } from '../helpers/git-repo';
import { failureOf } from '../helpers/failures';

/** Keeps what activities log, so tests can read a command's output (and its process group). */
class CapturingLogger implements Logger {
  readonly entries: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.entries.push({ level, message, meta });
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }

  /** Output lines of `step`, without the prefix. */
  outputOf(step: string): string[] {
    return this.entries.filter(({ level, message, meta }) => level === 'INFO' && message.startsWith(`${step}: `) && meta?.pgid === undefined).map(({ message }) => message.slice(step.length + 2));
  }

  pgid(): number | undefined {
    return this.entries.map(({ meta }) => meta?.pgid).find((pgid): pgid is number => typeof pgid === 'number');
  }
}

let sample: SampleRepo;
let promotions = 0;

beforeAll(() => {
  sample = sampleRepo();
});

afterAll(removeTempDirs);

function inputFor(overrides: Partial<CommandInput>): CommandInput {
  return {
    promotionId: `ferry-shop-${++promotions}`,
    source: { repo: sample.repo.dir, sha: sample.shas.second },
    command: 'true',
    timeoutMs: 60_000,
    env: { COMMIT: sample.shas.second, ARTIFACT: 'registry.example.com/shop:second' },
    ...overrides,
  };
}

let attempts = 0;

function activityInfo(activityId: string, attempt: number): Partial<Info> {
  return { workflowExecution: { workflowId: `commands-test-${process.pid}`, runId: 'run' }, activityId, attempt };
}

/** Each run is its own activity unless told otherwise, so no run takes another for an earlier attempt of itself. */
function start(activity: typeof build, input: CommandInput, info: Partial<Info> = activityInfo(String(++attempts), 1)) {
  const logger = new CapturingLogger();
  const env = new MockActivityEnvironment(info, { logger });
  let heartbeats = 0;
  env.on('heartbeat', () => heartbeats++);
  const result = env.run<[CommandInput], CommandResult, typeof build>(activity, input);
  return { env, logger, result, heartbeats: () => heartbeats };
}

async function eventually<T>(probe: () => T | undefined, what: string, ms = 15_000): Promise<T> {
  for (const giveUpAt = Date.now() + ms; Date.now() < giveUpAt; await delay(50)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Names (comm) of the live processes in a group, read from /proc. */
function groupMembers(pgid: number): string[] {
  const names: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') names.push(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      // The process ended while we looked.
    }
  }
  return names;
}

function groupIsGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The activity returns once every member is dead; orphaned ones stay zombies until init reaps
 * them (here within a couple of seconds), and only then does kill() answer ESRCH.
 */
async function expectGroupForgotten(pgid: number): Promise<void> {
  await eventually(() => (groupIsGone(pgid) ? true : undefined), `process group ${pgid} to be reaped`, 10_000);
}

describe('build and test', () => {
  test('the command runs in a worktree of the release’s commit and reports its duration', async () => {
    const { logger, result } = start(build, inputFor({ command: 'cat release.txt; test -f feature.txt || echo "no feature here"' }));
    const outcome = await result;
    expect(outcome.skipped).toBe(false);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(logger.outputOf('build')).toEqual(['second', 'no feature here']);
  });

  test('COMMIT and ARTIFACT reach the command, next to the allowed part of the worker’s environment', async () => {
    const { logger, result } = start(runTests, inputFor({ command: 'echo "commit=$COMMIT artifact=$ARTIFACT"; echo "path=${PATH:+set}"' }));
    await result;
    expect(logger.outputOf('test')).toEqual([`commit=${sample.shas.second} artifact=registry.example.com/shop:second`, 'path=set']);
  });

  test('a failing command is a non-retryable CommandFailed with its exit code and last lines', async () => {
    const { result } = start(build, inputFor({ command: 'echo compiling; echo "error: it broke" >&2; exit 3' }));
    const failure = await failureOf(result);
    expect(failure.type).toBe(FailureType.CommandFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^build failed with exit code 3: last lines:\n/);
    expect(failure.message).toContain('compiling');
    expect(failure.message).toContain('error: it broke');
  });

  test('a noisy command succeeds, and every line reaches the log', async () => {
    const { logger, result } = start(runTests, inputFor({ command: 'seq 1 20000' }));
    expect(await result).toMatchObject({ skipped: false });
    const output = logger.outputOf('test');
    expect(output).toHaveLength(20_000);
    expect(output.at(-1)).toBe('20000');
  });

  test('a noisy failure keeps only the last 40 lines in its message', async () => {
    const { result } = start(runTests, inputFor({ command: 'seq 1 20000; exit 1' }));
    const failure = await failureOf(result);
    const [header, ...tail] = failure.message.split('\n');
    expect(header).toBe('test failed with exit code 1: last lines:');
    expect(tail).toEqual(Array.from({ length: 40 }, (_, i) => String(19_961 + i)));
  });

  test('a line of 50 MB without a newline is cut: the log and the error stay small, and the lines after it are read', async () => {
    // Read whole, such a line took four times its size in memory; 700 MB of it crashed the worker.
    const command = 'echo before; head -c 50000000 /dev/zero | tr "\\0" x; echo; echo after; exit 1';
    const { logger, result } = start(runTests, inputFor({ command }));
    const failure = await failureOf(result);
    const [header, ...tail] = failure.message.split('\n');
    expect(header).toBe('test failed with exit code 1: last lines:');
    expect(tail).toHaveLength(3);
    expect(tail[0]).toBe('before');
    expect(tail[1].startsWith(`${'x'.repeat(2_000)}…`)).toBe(true);
    expect(tail[1]).toMatch(/the rest of this line is not kept/);
    expect(tail[1].length).toBeLessThan(2_200);
    expect(tail[2]).toBe('after');
    expect(logger.outputOf('test')).toEqual(tail);
  });

  test('a line cut in a stream still ends at its newline, and carriage returns end lines as before', async () => {
    const command = 'head -c 300000 /dev/zero | tr "\\0" y; printf "\\r\\nnext\\rafter return\\r\\nlast without newline"';
    const { logger, result } = start(runTests, inputFor({ command }));
    await result;
    const output = logger.outputOf('test');
    expect(output.slice(1)).toEqual(['next', 'after return', 'last without newline']);
    expect(output[0].startsWith(`${'y'.repeat(2_000)}…`)).toBe(true);
  });

  /** Waits until both `sleep`s of the command run in its process group; returns the group id. */
  async function bothSleepsRunning(logger: { pgid(): number | undefined }): Promise<number> {
    const pgid = await eventually(() => logger.pgid(), 'the process group in the log');
    await eventually(() => (groupMembers(pgid).filter((name) => name === 'sleep').length === 2 ? true : undefined), 'both sleeps to start');
    return pgid;
  }

  /** Cancels the activity and checks it ends as cancelled, with its whole process group gone. */
  async function cancelAndExpectGroupGone(env: { cancel(): void }, result: Promise<unknown>, pgid: number): Promise<void> {
    const cancelledAt = Date.now();
    env.cancel();
    await expect(result).rejects.toBeInstanceOf(CancelledFailure);
    expect(groupMembers(pgid)).toEqual([]);
    await expectGroupForgotten(pgid);
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
  }

  test('cancelling kills the whole process group, children included, and removes the worktree', async () => {
    const command = `pwd; sh -c 'sleep 30 & sleep 30'`;
    const { env, logger, result, heartbeats } = start(build, inputFor({ command }));
    result.catch(() => undefined);
    const pgid = await bothSleepsRunning(logger);
    // The sleeps can start before the pipe has delivered `pwd`'s line: wait for the line too.
    const worktree = await eventually(() => logger.outputOf('build')[0], 'the worktree path from pwd');
    expect(fs.existsSync(worktree)).toBe(true);
    expect(heartbeats()).toBeGreaterThanOrEqual(1);

    await cancelAndExpectGroupGone(env, result, pgid);
    expect(fs.existsSync(worktree)).toBe(false);
  });

  test('a group that ignores SIGTERM is killed with SIGKILL', async () => {
    const { env, logger, result } = start(runTests, inputFor({ command: `trap '' TERM; sleep 30 & sleep 30` }));
    result.catch(() => undefined);
    await cancelAndExpectGroupGone(env, result, await bothSleepsRunning(logger));
  });

  test('a command that outlives its timeout is killed, group and all, and fails as CommandFailed', async () => {
    const { logger, result } = start(build, inputFor({ command: 'sleep 30 & sleep 30', timeoutMs: 2_000 }));
    const failure = await failureOf(result);
    expect(failure.type).toBe(FailureType.CommandFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^build timed out after 2s: last lines:/);
    expect(groupMembers(logger.pgid()!)).toEqual([]);
    await expectGroupForgotten(logger.pgid()!);
  });

  describe('a worker killed mid-command', () => {
    const worker = path.join(__dirname, 'children', 'command-attempt.ts');

    /** Whether `pid` is a process that has not ended (a zombie has ended). */
    function isRunning(pid: number): boolean {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    }

    /** Process groups recorded as running for `workflowId`'s commands. */
    function recordsOf(workflowId: string): number[] {
      const dir = commandRecordsDir();
      if (!fs.existsSync(dir)) return [];
      return fs
        .readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')))
        .filter((record) => record.workflowId === workflowId)
        .map((record) => record.pgid);
    }

    test('the next attempt stops the command the killed attempt left running before it starts its own', async () => {
      const dir = tempDir('attempts');
      const log = path.join(dir, 'log');
      const pidFile = path.join(dir, 'first.pid');
      const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
      const first = inputFor({
        command: 'pwd > "$WORKTREE"; echo $$ > "$PIDS"; while :; do echo "first $$" >> "$LOG"; sleep 0.1; done',
        env: { PIDS: pidFile, LOG: log, WORKTREE: path.join(dir, 'worktree') },
      });
      const attempt1 = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', worker, JSON.stringify(first), JSON.stringify(activityInfo('build', 1))], {
        stdio: 'ignore',
      });
      let pid: number | undefined;
      try {
        await eventually(() => (lines().length >= 2 ? true : undefined), 'the first attempt’s command to run', 60_000);
        pid = Number(fs.readFileSync(pidFile, 'utf8'));
        attempt1.kill('SIGKILL');
        await once(attempt1, 'exit');
        // The worker is gone and its command is not: that is what the next attempt meets.
        expect(isRunning(pid)).toBe(true);

        const second = inputFor({
          command: 's=$(cut -d" " -f3 /proc/$(cat "$PIDS")/stat 2>/dev/null); case "$s" in ""|Z|X) s=gone;; esac; echo "second; first is $s" | tee -a "$LOG"',
          env: { PIDS: pidFile, LOG: log },
        });
        const { logger, result } = start(build, { ...second, promotionId: first.promotionId }, activityInfo('build', 2));
        await result;
        expect(logger.outputOf('build')).toEqual(['second; first is gone']);
        expect(logger.entries.filter(({ level }) => level === 'WARN').map(({ message }) => message)).toEqual([
          expect.stringMatching(/^build: stopping process group \d+, left running by attempt 1 \(worker pid \d+\)$/),
          'removing a worktree left by a worker that is gone',
        ]);
        expect(fs.existsSync(fs.readFileSync(path.join(dir, 'worktree'), 'utf8').trim())).toBe(false);
        const all = lines();
        expect(all.slice(all.indexOf('second; first is gone') + 1)).toEqual([]);
        expect(groupMembers(pid)).toEqual([]);
        expect(recordsOf(`commands-test-${process.pid}`)).toEqual([]); // stopped is forgotten, finished too
      } finally {
        attempt1.kill('SIGKILL');
        if (pid && !groupIsGone(pid)) process.kill(-pid, 'SIGKILL');
      }
    });

    test('a worker that exits while its command runs takes the command’s whole group with it', async () => {
      const pidFile = path.join(tempDir('exits'), 'command.pid');
      const input = inputFor({ command: 'echo $$ > "$PIDS"; sleep 30 & echo started; sleep 30', env: { PIDS: pidFile } });
      const attempt = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', worker, JSON.stringify(input), JSON.stringify(activityInfo('exits', 1)), 'exit-on-output'], {
        stdio: 'ignore',
      });
      const [code] = await once(attempt, 'exit');
      expect(code).toBe(0);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      try {
        // SIGKILL was sent before the worker exited; the processes end a moment later.
        await eventually(() => (groupMembers(pid).length === 0 ? true : undefined), `process group ${pid} to end`);
      } finally {
        if (!groupIsGone(pid)) process.kill(-pid, 'SIGKILL');
      }
    });
  });

  describe('secrets', () => {
    const DB = 'SHOP_DATABASE_URL';
    const HOOK = 'PROD_SLACK_WEBHOOK';
    const REGION = 'SHOP_REGION';
    const dbUrl = 'postgres://shop:pa55%2Fw0rd-x9@db.internal:5432/shop';
    const hook = 'https://hooks.example.com/services/T0FERRY/B0FERRY/h00kT0kenXYZ';
    const password = 'pa55/w0rd-x9';
    const basicAuth = Buffer.from(`shop:${password}`).toString('base64');
    /** Every form in which a secret may leave a command: none may reach a log line or an error. */
    const forms = [dbUrl, encodeURIComponent(dbUrl), password, encodeURIComponent(password), basicAuth, hook, encodeURIComponent(hook)];
    const secretEnv = [DB, HOOK];

    beforeAll(() => {
      process.env[DB] = dbUrl;
      process.env[HOOK] = hook;
      process.env[REGION] = 'eu-west-1';
    });
    afterAll(() => {
      for (const name of [DB, HOOK, REGION]) delete process.env[name];
    });

    function expectNoSecretIn(texts: string[]): void {
      for (const text of texts) for (const form of forms) expect(text).not.toContain(form);
    }

    /** The command's environment as it dumped it to `file` with `env -0`. */
    function dumpedEnv(file: string): Map<string, string> {
      const entries = fs.readFileSync(file, 'utf8').split('\0').filter(Boolean);
      return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    }

    test('a command sees the allow-list, its passEnv and Ferry’s variables, none of the worker’s secrets', async () => {
      const dump = path.join(tempDir('env'), 'env');
      const command = `env -0 > "$DUMP"; env; printenv ${DB} ${HOOK}; echo "db=$${DB} hook=$${HOOK}"; echo "region=$${REGION}"; exit 1`;
      const { logger, result } = start(build, inputFor({ command, passEnv: [REGION, 'SHOP_NEVER_SET'], secretEnv, env: { ...inputFor({}).env, DUMP: dump } }));
      const failure = await failureOf(result);

      const seen = dumpedEnv(dump);
      expect(seen.has(DB)).toBe(false);
      expect(seen.has(HOOK)).toBe(false);
      expect(seen.has('SHOP_NEVER_SET')).toBe(false);
      expect(seen.has('JEST_WORKER_ID')).toBe(false); // the worker's own variables stay with the worker
      expect(seen.get(REGION)).toBe('eu-west-1');
      expect(seen.get('COMMIT')).toBe(sample.shas.second);
      expect(seen.get('PATH')).toBe(process.env.PATH);
      expect(logger.outputOf('build')).toContain('region=eu-west-1');
      expectNoSecretIn([...logger.outputOf('build'), failure.message]);
    });

    test('output is masked for every secret the config names, in every form, wherever the command found it', async () => {
      const file = path.join(tempDir('secrets'), 'found.txt');
      const lines = [`url ${dbUrl}`, `password ${password}`, `encoded ${encodeURIComponent(password)}`, `query ?db=${encodeURIComponent(dbUrl)}`, `Authorization: Basic ${basicAuth}`, `hook ${hook}`];
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const { logger, result } = start(runTests, inputFor({ command: 'cat "$FOUND"; exit 1', secretEnv, env: { FOUND: file } }));
      const failure = await failureOf(result);

      const output = logger.outputOf('test');
      expect(output).toEqual([`url ***${DB}***`, `password ***${DB}***`, `encoded ***${DB}***`, `query ?db=***${DB}***`, `Authorization: Basic ***${DB}***`, `hook ***${HOOK}***`]);
      expectNoSecretIn([...output, failure.message]);
      expect(failure.message).toContain(`hook ***${HOOK}***`);
    });

    test('a secret the config passes to a command reaches it whole, and what it prints of it is masked', async () => {
      const script = `const u = new URL(process.env.${DB}); const p = decodeURIComponent(u.password);
        console.log(require("crypto").createHash("sha256").update(process.env.${DB}).digest("hex"));
        console.log(process.env.${DB}); console.log(p); console.log(encodeURIComponent(process.env.${DB}));
        console.log("Basic " + Buffer.from("shop:" + p).toString("base64"));`;
      const { logger, result } = start(build, inputFor({ command: `node -e '${script}'; exit 2`, passEnv: [DB], secretEnv }));
      const failure = await failureOf(result);

      const [digest, ...rest] = logger.outputOf('build');
      expect(digest).toBe(createHash('sha256').update(dbUrl).digest('hex'));
      expect(rest).toEqual([`***${DB}***`, `***${DB}***`, `***${DB}***`, `Basic ***${DB}***`]);
      expectNoSecretIn([...logger.outputOf('build'), failure.message]);
    });

    test('a secret at the start of a line too long to keep is masked before the line is cut', async () => {
      const command = `printf "%s %s " "$${DB}" "$${HOOK}"; head -c 5000000 /dev/zero | tr "\\0" z; echo; exit 1`;
      const { logger, result } = start(build, inputFor({ command, passEnv: [DB, HOOK], secretEnv }));
      const failure = await failureOf(result);
      const [line] = logger.outputOf('build');
      expect(line.startsWith(`***${DB}*** ***${HOOK}*** zzz`)).toBe(true);
      expectNoSecretIn([line, failure.message]);
    });

    test('passEnv and secretEnv are bounded: a name that is not a variable name is refused', async () => {
      const failure = await failureOf(start(build, inputFor({ passEnv: ['NOT A NAME'] })).result);
      expect(failure.type).toBe(FailureType.InvalidInput);
      expect(failure.message).toContain('passEnv');
    });
  });

  describe('skipIf', () => {
    const markerIn = (dir: string) => path.join(dir, 'built');

    test('a skipIf that succeeds skips the build, and sees the same environment', async () => {
      const marker = markerIn(tempDir('marker'));
      const { result } = start(build, inputFor({ command: 'touch "$MARKER"', skipIf: 'test "$ARTIFACT" = registry.example.com/shop:second', env: { ...inputFor({}).env, MARKER: marker } }));
      expect(await result).toMatchObject({ skipped: true });
      expect(fs.existsSync(marker)).toBe(false);
    });

    test('a skipIf that fails lets the build run', async () => {
      const marker = markerIn(tempDir('marker'));
      const { result } = start(build, inputFor({ command: 'touch "$MARKER"', skipIf: 'exit 1', env: { MARKER: marker } }));
      expect(await result).toMatchObject({ skipped: false });
      expect(fs.existsSync(marker)).toBe(true);
    });

    test('tests always run: skipIf is for builds only', async () => {
      const marker = markerIn(tempDir('marker'));
      const { result } = start(runTests, inputFor({ command: 'touch "$MARKER"', skipIf: 'true', env: { MARKER: marker } }));
      expect(await result).toMatchObject({ skipped: false });
      expect(fs.existsSync(marker)).toBe(true);
    });
  });
});
