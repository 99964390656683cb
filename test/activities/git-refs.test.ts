// The refs policy's ancestry check and the refs Ferry moves, against real repositories made by the
// git CLI, a file:// remote and a real smart-HTTP server that demands credentials.
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { checkBranches, moveRef } from '../../activities/git-refs';
import { FailureType } from '../../common/errors';
import { failureOf } from '../helpers/failures';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server';
import { AUTHORS, git, removeTempDirs, sampleRepo, tempDir, TestRepo, type SampleRepo } from '../helpers/git-repo';

let sample: SampleRepo;
const cacheBefore = process.env.FERRY_GIT_CACHE;

beforeAll(() => {
  sample = sampleRepo();
  process.env.FERRY_GIT_CACHE = tempDir('cache');
});

afterAll(() => {
  if (cacheBefore === undefined) delete process.env.FERRY_GIT_CACHE;
  else process.env.FERRY_GIT_CACHE = cacheBefore;
  removeTempDirs();
});

function inActivity<R>(work: () => Promise<R>): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(work);
}

const onBranches = (repo: string, sha: string, branches: string[], credentialsEnv?: string) => inActivity(() => checkBranches({ repo, sha, branches, credentialsEnv }));

describe('checkBranches: whether a commit is in the history of a branch', () => {
  test('a commit merged into main is on main; the branch tip itself is too', async () => {
    expect(await onBranches(sample.repo.dir, sample.shas.feature, ['main'])).toEqual({ onBranch: 'main' });
    expect(await onBranches(sample.repo.dir, sample.shas.merge, ['main'])).toEqual({ onBranch: 'main' });
  });

  test('a commit only on a feature branch is not on main, and the answer names the commit and the branches', async () => {
    const repo = new TestRepo();
    repo.commit('Base', AUTHORS.ada, { 'a.txt': 'a\n' });
    repo.checkout('topic', { create: true });
    const topic = repo.commit('Topic work', AUTHORS.linus, { 'b.txt': 'b\n' });
    repo.checkout('main');
    repo.git(['branch', 'release/2026', 'main']);

    const answer = await onBranches(repo.dir, topic, ['main', 'release/2026']);
    expect(answer.onBranch).toBeUndefined();
    expect(answer.why).toBe(`commit ${topic.slice(0, 7)} is not on main or release/2026`);
    expect(await onBranches(repo.dir, topic, ['main', 'topic'])).toEqual({ onBranch: 'topic' });
  });

  test('a branch the repository lacks is named; a present branch holding the commit still allows it', async () => {
    const missing = await onBranches(sample.repo.dir, sample.shas.second, ['trunk']);
    expect(missing).toEqual({ why: `commit ${sample.shas.second.slice(0, 7)} is not on trunk (branch trunk is not in ${sample.repo.dir})` });
    expect(await onBranches(sample.repo.dir, sample.shas.second, ['trunk', 'main'])).toEqual({ onBranch: 'main' });
  });

  test('a commit the repository does not have is UnknownRef, never "allowed"', async () => {
    const failure = await failureOf(onBranches(sample.repo.dir, 'f'.repeat(40), ['main']));
    expect(failure.type).toBe(FailureType.UnknownRef);
    expect(failure.nonRetryable).toBe(true);
  });

  test('a remote is fetched first: a commit merged since the last look counts', async () => {
    const origin = new TestRepo();
    origin.commit('One', AUTHORS.ada, { 'release.txt': 'one\n' });
    origin.checkout('topic', { create: true });
    const topic = origin.commit('Topic', AUTHORS.linus, { 'topic.txt': 't\n' });
    origin.checkout('main');
    const bare = origin.bareClone();
    const url = `file://${bare}`;
    expect((await onBranches(url, topic, ['main'])).why).toContain('is not on main');
    origin.merge('topic', 'Merge topic', AUTHORS.margaret);
    origin.git(['push', '--quiet', bare, 'main']);
    expect(await onBranches(url, topic, ['main'])).toEqual({ onBranch: 'main' });
  });
});

const move = (repo: string, sha: string, ref: string, credentialsEnv?: string) => inActivity(() => moveRef({ repo, sha, ref, credentialsEnv }));

describe('moveRef: git records what runs where', () => {
  test('in a local repository the ref is made, moved on, and moved back (a rollback), forced', async () => {
    const { repo, shas } = sampleRepo();
    expect(await move(repo.dir, shas.second, 'refs/ferry/staging')).toEqual({ ref: 'refs/ferry/staging' });
    expect(repo.git(['rev-parse', 'refs/ferry/staging'])).toBe(shas.second);
    expect(await move(repo.dir, shas.merge, 'refs/ferry/staging')).toEqual({ ref: 'refs/ferry/staging', previous: shas.second });
    // Back to a commit that is not a descendant: only a forced move does that.
    expect(await move(repo.dir, shas.feature, 'refs/ferry/staging')).toEqual({ ref: 'refs/ferry/staging', previous: shas.merge });
    expect(repo.git(['rev-parse', 'refs/ferry/staging'])).toBe(shas.feature);
  });

  test('a name without refs/ is a branch: env/production names the commit production runs', async () => {
    const { repo, shas } = sampleRepo();
    expect(await move(repo.dir, shas.first, 'env/production')).toEqual({ ref: 'refs/heads/env/production' });
    await move(repo.dir, shas.second, 'env/production');
    expect(repo.git(['log', '--format=%H', '-1', 'env/production'])).toBe(shas.second);
  });

  test('the branch a work tree has checked out is refused, and stays where it was', async () => {
    const { repo, shas } = sampleRepo();
    const failure = await failureOf(move(repo.dir, shas.first, 'main'));
    expect(failure.type).toBe(FailureType.InvalidInput);
    expect(failure.message).toContain('refs/heads/main is the branch checked out');
    expect(repo.git(['rev-parse', 'main'])).toBe(shas.merge);
  });

  test('a commit the repository does not have is UnknownRef and moves nothing', async () => {
    const { repo } = sampleRepo();
    const failure = await failureOf(move(repo.dir, 'e'.repeat(40), 'refs/ferry/dev'));
    expect(failure.type).toBe(FailureType.UnknownRef);
    expect(repo.git(['for-each-ref', 'refs/ferry'])).toBe('');
  });

  test('a file:// remote gets the ref pushed from the mirror', async () => {
    const { repo, shas } = sampleRepo();
    const bare = repo.bareClone();
    expect(await move(`file://${bare}`, shas.second, 'refs/ferry/dev')).toEqual({ ref: 'refs/ferry/dev' });
    expect(await move(`file://${bare}`, shas.first, 'refs/ferry/dev')).toEqual({ ref: 'refs/ferry/dev', previous: shas.second });
    expect(git(bare, ['rev-parse', 'refs/ferry/dev'])).toBe(shas.first);
  });
});

describe('moveRef over HTTP, credentials by variable name', () => {
  const USER = 'ferry-pusher';
  const PASSWORD = 'pu5h-s3cr3t-9c1d';
  const WRONG = 'wr0ng-pu5h-31f0';
  const forms = (value: string) => [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)];
  let server: GitHttpServer;
  let bare: string;
  let url: string;
  let shas: SampleRepo['shas'];

  beforeAll(async () => {
    const made = sampleRepo();
    shas = made.shas;
    bare = made.repo.bareClone();
    server = await startGitHttpServer(path.dirname(bare), { username: USER, password: PASSWORD });
    url = `${server.url}/origin.git`;
    Object.assign(process.env, { FERRY_TEST_PUSH: `${USER}:${PASSWORD}`, FERRY_TEST_PUSH_WRONG: `${USER}:${WRONG}` });
  });

  afterAll(async () => {
    await server.stop();
    delete process.env.FERRY_TEST_PUSH;
    delete process.env.FERRY_TEST_PUSH_WRONG;
  });

  test('the ref is pushed with the credential as a header, never in a URL, and moved back forced', async () => {
    expect(await move(url, shas.merge, 'refs/ferry/production', 'FERRY_TEST_PUSH')).toEqual({ ref: 'refs/ferry/production' });
    expect(git(bare, ['rev-parse', 'refs/ferry/production'])).toBe(shas.merge);
    expect(await move(url, shas.feature, 'refs/ferry/production', 'FERRY_TEST_PUSH')).toEqual({ ref: 'refs/ferry/production', previous: shas.merge });
    expect(git(bare, ['rev-parse', 'refs/ferry/production'])).toBe(shas.feature);
    const pushes = server.requests.filter((r) => r.path.includes('git-receive-pack'));
    expect(pushes.length).toBeGreaterThan(0);
    for (const request of server.requests) {
      for (const form of forms(PASSWORD)) expect(request.path).not.toContain(form);
    }
  });

  test('a wrong credential fails for good, and no form of it is in the error', async () => {
    const failure = await failureOf(move(url, shas.first, 'refs/ferry/production', 'FERRY_TEST_PUSH_WRONG'));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`${server.url}/origin.git`);
    for (const form of [...forms(WRONG), ...forms(`${USER}:${WRONG}`)]) expect(failure.message).not.toContain(form);
    expect(git(bare, ['rev-parse', 'refs/ferry/production'])).not.toBe(shas.first);
  });

  test('an unset variable is a configuration error naming recordRef.credentialsEnv, and credentials are for http(s) only', async () => {
    const unset = await failureOf(move(url, shas.first, 'refs/ferry/dev', 'FERRY_TEST_PUSH_UNSET'));
    expect(unset.type).toBe(FailureType.InvalidInput);
    expect(unset.message).toBe('FERRY_TEST_PUSH_UNSET is not set on this worker (recordRef.credentialsEnv names it)');
    const local = await failureOf(move(bare, shas.first, 'refs/ferry/dev', 'FERRY_TEST_PUSH'));
    expect(local.type).toBe(FailureType.InvalidInput);
    expect(local.message).toContain('recordRef.credentialsEnv (FERRY_TEST_PUSH) is only for an http(s) repository');
  });
});
