// Who may promote what (from, after) and git's record of what runs where (recordRef), in the
// promotion workflow on the time-skipping server. Git is real: the policy's ancestry check and the
// ref moves run the real activities against repositories made by the git CLI; the environment
// locks (and their ledgers) are the real workflows.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { checkBranches, moveRef } from '../../activities/git-refs';
import { FailureType } from '../../common/errors';
import { samplePlan } from '../helpers/fixtures';
import path from 'node:path';
import { startGitHttpServer } from '../helpers/git-http-server';
import { AUTHORS, git, removeTempDirs, sampleRepo, TestRepo, type SampleRepo } from '../helpers/git-repo';
import { environment, locksSettled, outcome, runPromotion, startPromotion } from '../helpers/promotions';
import { stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
let sample: SampleRepo;
beforeAll(async () => {
  env = await startTimeSkippingServer();
  sample = sampleRepo();
});
afterAll(async () => {
  await env?.teardown();
  removeTempDirs();
});

let apps = 0;
/**
 * The sample pipeline on a real repository, production without approval (this file is not about
 * people); an app of its own unless `app` names one, so each test has its own environments.
 */
function planFor(repo: string, sha: string, edit: (config: any) => void = () => undefined, options: { skip?: string[]; to?: string; app?: string } = {}) {
  const { app = `policy${++apps}`, ...planOptions } = options;
  return samplePlan(
    (config) => {
      config.app = app;
      config.repo = repo;
      delete config.environments[2].approval;
      edit(config);
    },
    { sha, ...planOptions },
  );
}

const realGit = () => stubActivities({ checkBranches, moveRef });

/** A promotion's outcome once the locks it held are free, on a worker the caller runs. */
async function settled(handle: Awaited<ReturnType<typeof startPromotion>>) {
  const status = await outcome(handle);
  await locksSettled(env, status);
  return status;
}

/** The history as text, every payload (base64 in the history's JSON) decoded, so a search sees what was sent. */
function decodedHistory(history: unknown): string {
  const json = JSON.stringify(history);
  const payloads = [...json.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
  return [json, ...payloads].join('\n');
}

async function failureType(handle: { result(): Promise<unknown> }): Promise<string | undefined> {
  try {
    await handle.result();
    return undefined;
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
  }
}

describe('from: which commits may enter an environment', () => {
  test('a commit that is not on main is refused for production before anything runs, naming the environment, the rule and the commit', async () => {
    const repo = new TestRepo();
    repo.commit('Base', AUTHORS.ada, { 'a.txt': 'a\n' });
    repo.checkout('topic', { create: true });
    const topic = repo.commit('Topic', AUTHORS.linus, { 'b.txt': 'b\n' });
    repo.checkout('main');
    const stub = realGit();
    const plan = planFor(repo.dir, topic, (config) => (config.environments[2].from = ['main']));

    const { status, handle } = await runPromotion(env, stub.activities, plan);

    expect(status.state).toBe('refused');
    expect(await failureType(handle)).toBe(FailureType.Refused);
    const why = `production.from: commit ${topic.slice(0, 7)} is not on main`;
    expect(status.error).toBe(why);
    expect(environment(status, 'production')).toMatchObject({ state: 'refused', error: why });
    expect(status.environments.map((e) => e.state)).toEqual(['skipped', 'skipped', 'refused']);
    expect(status.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['resolve:succeeded', 'policy:failed']);
    // Nothing ran: no build, no environment touched (not even prepare).
    expect(stub.callsTo('build')).toHaveLength(0);
    expect(stub.environmentsTouched()).toEqual([]);
  });

  test('a commit merged into main goes through; each environment checked once, up front', async () => {
    const stub = realGit();
    const plan = planFor(sample.repo.dir, sample.shas.feature, (config) => {
      config.environments[1].from = ['main', 'release/2026'];
      config.environments[2].from = ['main'];
    });
    const { status } = await runPromotion(env, stub.activities, plan);
    expect(status.state).toBe('succeeded');
    // Both at once, in no particular order.
    expect(
      stub
        .callsTo('checkBranches')
        .map((c) => c.input.branches)
        .sort(),
    ).toEqual([['main'], ['main', 'release/2026']]);
    expect(status.steps.find((s) => s.name === 'policy')).toMatchObject({ state: 'succeeded', detail: `staging, production may take ${sample.shas.feature.slice(0, 7)}` });
  });

  test('a plan with nothing to check has no policy step (and asks git nothing)', async () => {
    const stub = realGit();
    const { status } = await runPromotion(env, stub.activities, planFor(sample.repo.dir, sample.shas.second));
    expect(status.state).toBe('succeeded');
    expect(status.steps.map((s) => s.name)).not.toContain('policy');
    expect(stub.callsTo('checkBranches')).toHaveLength(0);
  });
});

describe('after: the environment a release must have gone live in first', () => {
  test('production alone (staging skipped as promoted earlier) is refused for a commit staging never ran', async () => {
    const stub = realGit();
    const sha = new TestRepo().commit('Never staged', AUTHORS.grace, { 'x.txt': 'x\n' });
    const plan = planFor(sample.repo.dir, sha, undefined, { skip: ['dev', 'staging'] });
    const { status } = await runPromotion(env, stub.activities, plan);
    expect(status.state).toBe('refused');
    expect(environment(status, 'production')).toMatchObject({
      state: 'refused',
      error: `production.after: commit ${sha.slice(0, 7)} never went live in staging, or was rolled back out of it (production takes releases only after staging)`,
    });
    expect(stub.callsTo('build')).toHaveLength(0);
    expect(stub.environmentsTouched()).toEqual([]);
  });

  test('a commit that went live in staging in an earlier run may enter production now: the ledger says so', async () => {
    const repo = new TestRepo();
    const sha = repo.commit('Staged first', AUTHORS.ada, { 'r.txt': 'r\n' });
    const stub = realGit();
    // One worker for both: the test server's open locks, and so staging's ledger, end with their worker (see startWorker).
    const { first, status } = await (
      await startWorker(env, stub.activities)
    ).runUntil(async () => {
      const first = await settled(await startPromotion(env, planFor(repo.dir, sha, undefined, { to: 'staging', app: 'staged' })));
      stub.calls.length = 0;
      const status = await settled(await startPromotion(env, planFor(repo.dir, sha, undefined, { skip: ['dev', 'staging'], app: 'staged' })));
      return { first, status };
    });
    expect(first.state).toBe('succeeded');
    expect(status.state).toBe('succeeded');
    expect(environment(status, 'production').state).toBe('succeeded');
    expect(stub.environmentsTouched({ ignoring: ['prepare'] })).toEqual(['production']);
  });

  test('after: false lets a release in without any earlier environment', async () => {
    const stub = realGit();
    const sha = new TestRepo().commit('Hotfix', AUTHORS.grace, { 'h.txt': 'h\n' });
    const plan = planFor(sample.repo.dir, sha, (config) => (config.environments[2].after = false), { skip: ['dev', 'staging'] });
    const { status } = await runPromotion(env, stub.activities, plan);
    expect(status.state).toBe('succeeded');
  });
});

describe('recordRef: git records what runs where', () => {
  test('each environment that goes live moves its ref to the commit; a later release moves it on, an older one back', async () => {
    const { repo, shas } = sampleRepo();
    const withRefs = (config: any) => (config.recordRef = { ref: 'env/{env}' });
    const first = await runPromotion(env, realGit().activities, planFor(repo.dir, shas.second, withRefs, { app: 'recorded1' }));
    expect(first.status.state).toBe('succeeded');
    for (const name of ['dev', 'staging', 'production']) {
      expect(repo.git(['rev-parse', `env/${name}`])).toBe(shas.second);
      expect(environment(first.status, name).steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'succeeded', detail: `refs/heads/env/${name} → ${shas.second.slice(0, 7)}` });
    }

    await runPromotion(env, realGit().activities, planFor(repo.dir, shas.merge, withRefs, { to: 'dev', app: 'recorded2' }));
    expect(repo.git(['rev-parse', 'env/dev'])).toBe(shas.merge);
    expect(repo.git(['rev-parse', 'env/staging'])).toBe(shas.second);

    // The older release again (what a rollback does): the ref goes back, forced.
    const again = await runPromotion(env, realGit().activities, planFor(repo.dir, shas.second, withRefs, { to: 'dev', app: 'recorded3' }));
    expect(repo.git(['rev-parse', 'env/dev'])).toBe(shas.second);
    expect(environment(again.status, 'dev').steps.at(-1)?.detail).toBe(`refs/heads/env/dev: ${shas.merge.slice(0, 7)} → ${shas.second.slice(0, 7)}`);
    expect(repo.git(['log', '--format=%H', '-1', 'env/dev'])).toBe(shas.second);
  });

  test('an environment that does not go live moves nothing', async () => {
    const { repo, shas } = sampleRepo();
    // Staging's canary never comes up: it rolls back and production is never reached.
    const stub = stubActivities({
      moveRef,
      setCanaryWeight: async ({ environment: name }) => {
        if (name === 'staging') throw ApplicationFailure.nonRetryable('canary pods never became ready', FailureType.RolloutFailed);
      },
    });
    const { status } = await runPromotion(
      env,
      stub.activities,
      planFor(repo.dir, shas.first, (config) => (config.recordRef = { ref: 'refs/ferry/{env}' })),
    );
    expect(environment(status, 'staging').state).toBe('rolled-back');
    expect(repo.git(['rev-parse', 'refs/ferry/dev'])).toBe(shas.first);
    expect(repo.git(['for-each-ref', '--format=%(refname)', 'refs/ferry'])).toBe('refs/ferry/dev');
  });

  test('a push that fails leaves the environment live: a failed record-ref step says why', async () => {
    const { repo, shas } = sampleRepo();
    // `main` is checked out in the repository's work tree, which Ferry refuses to move.
    const plan = planFor(repo.dir, shas.first, (config) => (config.recordRef = { ref: 'main{env}' }), { to: 'dev' });
    plan.recordRef = { ref: 'main' };
    const { status } = await runPromotion(env, realGit().activities, plan);
    expect(status.state).toBe('succeeded');
    expect(environment(status, 'dev').state).toBe('succeeded');
    expect(environment(status, 'dev').steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'failed' });
    expect(environment(status, 'dev').steps.at(-1)?.error).toContain('refs/heads/main is the branch checked out');
    expect(repo.git(['rev-parse', 'main'])).toBe(shas.merge);
  });

  test('over http the credential travels as a header only: never in the workflow history, the status or the error', async () => {
    const { repo, shas } = sampleRepo();
    const bare = repo.bareClone();
    const password = 'r3c0rd-pu5h-7e2a';
    const server = await startGitHttpServer(path.dirname(bare), { username: 'ferry-bot', password });
    Object.assign(process.env, { FERRY_TEST_RECORD_PUSH: `ferry-bot:${password}`, FERRY_TEST_RECORD_WRONG: 'ferry-bot:wr0ng-pu5h-11aa' });
    try {
      const url = `${server.url}/origin.git`;
      const pushWith = (credentialsEnv: string) => (config: any) => {
        config.repo = url;
        config.recordRef = { ref: 'refs/ferry/{env}', credentialsEnv };
      };
      const good = await runPromotion(env, realGit().activities, planFor(url, shas.second, pushWith('FERRY_TEST_RECORD_PUSH'), { to: 'dev' }));
      expect(environment(good.status, 'dev').steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'succeeded' });
      expect(git(bare, ['rev-parse', 'refs/ferry/dev'])).toBe(shas.second);

      const wrong = await runPromotion(env, realGit().activities, planFor(url, shas.first, pushWith('FERRY_TEST_RECORD_WRONG'), { to: 'dev' }));
      expect(environment(wrong.status, 'dev').state).toBe('succeeded');
      expect(environment(wrong.status, 'dev').steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'failed' });
      expect(environment(wrong.status, 'dev').steps.at(-1)?.error).toContain(url);
      expect(git(bare, ['rev-parse', 'refs/ferry/dev'])).toBe(shas.second);

      for (const { handle, status } of [good, wrong]) {
        const recorded = decodedHistory(await handle.fetchHistory()) + JSON.stringify(status);
        expect(recorded).toContain('FERRY_TEST_RECORD_');
        for (const secret of [password, 'wr0ng-pu5h-11aa']) {
          for (const form of [secret, Buffer.from(`ferry-bot:${secret}`).toString('base64'), encodeURIComponent(secret)]) expect(recorded).not.toContain(form);
        }
      }
    } finally {
      await server.stop();
      delete process.env.FERRY_TEST_RECORD_PUSH;
      delete process.env.FERRY_TEST_RECORD_WRONG;
    }
  });
});
