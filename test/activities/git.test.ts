// resolveCommit and withWorktree against real repositories made by the git CLI.
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { resolveCommit } from '../../activities/git';
import { maskCredential } from '../../git/repository';
import { withWorktree } from '../../activities/worktree';
import { FailureType } from '../../common/errors';
import { AUTHORS, git, removeTempDirs, sampleRepo, tempDir, TestRepo, type SampleRepo } from '../helpers/git-repo';
import { failureOf } from '../helpers/failures';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server';

let sample: SampleRepo;
let cacheDir: string;
const cacheBefore = process.env.FERRY_GIT_CACHE;

beforeAll(() => {
  sample = sampleRepo();
  cacheDir = tempDir('cache');
  process.env.FERRY_GIT_CACHE = cacheDir;
});

afterAll(() => {
  if (cacheBefore === undefined) delete process.env.FERRY_GIT_CACHE;
  else process.env.FERRY_GIT_CACHE = cacheBefore;
  removeTempDirs();
});

function inActivity<R>(work: () => Promise<R>): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(work);
}

const resolve = (repo: string, ref: string) => inActivity(() => resolveCommit({ repo, ref }));

describe('resolveCommit in a local repository', () => {
  test('a branch resolves to its tip, with the author and subject of that commit', async () => {
    expect(await resolve(sample.repo.dir, 'feature')).toEqual({
      sha: sample.shas.feature,
      authorName: AUTHORS.linus.name,
      authorEmail: AUTHORS.linus.email,
      subject: 'Add a feature',
    });
  });

  test('a merge commit resolves with its own metadata, not a parent’s', async () => {
    const viaBranch = await resolve(sample.repo.dir, 'main');
    expect(viaBranch).toEqual({
      sha: sample.shas.merge,
      authorName: AUTHORS.margaret.name,
      authorEmail: AUTHORS.margaret.email,
      subject: 'Merge the feature branch',
    });
    expect(await resolve(sample.repo.dir, sample.shas.merge)).toEqual(viaBranch);
  });

  test('an annotated tag peels to its commit, not the tag object', async () => {
    const commit = await resolve(sample.repo.dir, 'v1.0');
    expect(commit).toMatchObject({ sha: sample.shas.second, authorName: AUTHORS.grace.name, subject: 'Add the second release' });
    expect(commit.sha).not.toBe(sample.repo.git(['rev-parse', 'v1.0']));
  });

  test('a lightweight tag resolves to its commit', async () => {
    expect(await resolve(sample.repo.dir, 'v0.9')).toMatchObject({ sha: sample.shas.first, authorName: AUTHORS.ada.name });
  });

  test('a short SHA resolves to the full 40-hex SHA', async () => {
    const commit = await resolve(sample.repo.dir, sample.shas.second.slice(0, 7));
    expect(commit.sha).toBe(sample.shas.second);
    expect(commit.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  test('a full SHA resolves to itself', async () => {
    expect(await resolve(sample.repo.dir, sample.shas.first)).toMatchObject({
      sha: sample.shas.first,
      authorEmail: AUTHORS.ada.email,
      subject: 'Add the first release',
    });
  });

  test('an unknown ref is a non-retryable UnknownRef naming the ref and the repository', async () => {
    const failure = await failureOf(resolve(sample.repo.dir, 'no-such-branch'));
    expect(failure.type).toBe(FailureType.UnknownRef);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('no-such-branch');
    expect(failure.message).toContain(sample.repo.dir);
  });

  test('a ref that git would read as an option is refused as InvalidInput', async () => {
    const failure = await failureOf(resolve(sample.repo.dir, '--output=/tmp/owned'));
    expect(failure.type).toBe(FailureType.InvalidInput);
    expect(failure.nonRetryable).toBe(true);
  });

  test.each([
    ['a path that does not exist', () => path.join(tempDir('gone'), 'missing')],
    ['a folder that is not a repository', () => tempDir('plain')],
    [
      'a folder inside a repository',
      () => {
        const inside = path.join(sample.repo.dir, 'nested');
        fs.mkdirSync(inside, { recursive: true });
        return inside;
      },
    ],
  ])('%s is a non-retryable RepoUnreachable', async (_, repoPath) => {
    const repo = repoPath();
    const failure = await failureOf(resolve(repo, 'main'));
    expect(failure.type).toBe(FailureType.RepoUnreachable);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(repo);
  });
});

describe('resolveCommit through the mirror cache', () => {
  test('a file:// URL resolves branches and tags, fetching new commits before each resolve', async () => {
    const origin = new TestRepo();
    const one = origin.commit('One', AUTHORS.ada, { 'a.txt': '1\n' });
    origin.tag('v1', one, 'first version');
    const bare = origin.bareClone();
    const url = `file://${bare}`;

    expect(await resolve(url, 'main')).toMatchObject({ sha: one, authorName: AUTHORS.ada.name, subject: 'One' });
    expect(fs.readdirSync(cacheDir).filter((name) => name.endsWith('.git'))).toHaveLength(1);

    const two = origin.commit('Two', AUTHORS.grace, { 'a.txt': '2\n' });
    origin.git(['push', '--quiet', bare, 'main']);
    expect(await resolve(url, 'main')).toMatchObject({ sha: two, authorName: AUTHORS.grace.name, subject: 'Two' });
    expect(await resolve(url, 'v1')).toMatchObject({ sha: one });
    expect(await resolve(url, two.slice(0, 8))).toMatchObject({ sha: two });
    expect(fs.readdirSync(cacheDir).filter((name) => name.endsWith('.git'))).toHaveLength(1);
  });

  test('an unknown ref in a remote repository is UnknownRef', async () => {
    const failure = await failureOf(resolve(`file://${sample.repo.bareClone()}`, 'v9.9'));
    expect(failure.type).toBe(FailureType.UnknownRef);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('v9.9');
  });

  test('a remote that cannot be cloned is RepoUnreachable', async () => {
    const failure = await failureOf(resolve(`file://${path.join(tempDir('gone'), 'nothing.git')}`, 'main'));
    expect(failure.type).toBe(FailureType.RepoUnreachable);
    expect(failure.nonRetryable).toBe(true);
  });

  test('credentials in a URL never reach the error message', async () => {
    const failure = await failureOf(resolve('https://ferry-bot:s3cr3t-t0ken@127.0.0.1:9/acme/shop.git', 'main'));
    expect(failure.type).toBe(FailureType.RepoUnreachable);
    expect(failure.message).toContain('https://127.0.0.1:9/acme/shop.git');
    expect(failure.message).not.toContain('s3cr3t');
    expect(failure.message).not.toContain('ferry-bot');
  });
});

describe('withWorktree', () => {
  /** Lets `n` concurrent callers through only once all of them have arrived. */
  function barrier(n: number): () => Promise<void> {
    let arrived = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return async () => {
      if (++arrived === n) open();
      await opened;
    };
  }

  const linkedWorktrees = (repoDir: string) => {
    const admin = path.join(repoDir, '.git', 'worktrees');
    return fs.existsSync(admin) ? fs.readdirSync(admin) : [];
  };

  test('two concurrent worktrees of different commits see their own files and are both removed', async () => {
    const bothInside = barrier(2);
    const look = (sha: string, promotionId: string) =>
      inActivity(() =>
        withWorktree({ repo: sample.repo.dir, sha }, promotionId, async (dir) => {
          await bothInside();
          return {
            dir,
            release: fs.readFileSync(path.join(dir, 'release.txt'), 'utf8'),
            hasFeature: fs.existsSync(path.join(dir, 'feature.txt')),
            head: fs.readFileSync(path.join(dir, '.git'), 'utf8'),
          };
        }),
      );

    const [second, feature] = await Promise.all([look(sample.shas.second, 'ferry-shop-second'), look(sample.shas.feature, 'ferry-shop-feature')]);

    expect(second.dir).not.toBe(feature.dir);
    expect(path.basename(second.dir)).toMatch(/^ferry-ferry-shop-second-/);
    expect(second).toMatchObject({ release: 'second\n', hasFeature: false });
    expect(feature).toMatchObject({ release: 'first\n', hasFeature: true });
    for (const { dir } of [second, feature]) expect(fs.existsSync(dir)).toBe(false);
    expect(linkedWorktrees(sample.repo.dir)).toEqual([]);
    expect(sample.repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
  });

  test('the worktree is removed when the work fails, and the failure comes through', async () => {
    let seen = '';
    const run = inActivity(() =>
      withWorktree({ repo: sample.repo.dir, sha: sample.shas.first }, 'ferry-shop-fails', async (dir) => {
        seen = dir;
        throw new Error('work went wrong');
      }),
    );
    await expect(run).rejects.toThrow('work went wrong');
    expect(seen).not.toBe('');
    expect(fs.existsSync(seen)).toBe(false);
    expect(linkedWorktrees(sample.repo.dir)).toEqual([]);
  });

  test('a remote source is checked out from the mirror, fetching a commit the cache does not have yet', async () => {
    const origin = new TestRepo();
    origin.commit('One', AUTHORS.ada, { 'release.txt': 'one\n' });
    const bare = origin.bareClone();
    const url = `file://${bare}`;
    await resolve(url, 'main');
    const two = origin.commit('Two', AUTHORS.grace, { 'release.txt': 'two\n' });
    origin.git(['push', '--quiet', bare, 'main']);

    const release = await inActivity(() => withWorktree({ repo: url, sha: two }, 'ferry-remote', async (dir) => fs.readFileSync(path.join(dir, 'release.txt'), 'utf8')));
    expect(release).toBe('two\n');
  });

  test('a commit the repository does not have is UnknownRef', async () => {
    const failure = await failureOf(inActivity(() => withWorktree({ repo: sample.repo.dir, sha: 'f'.repeat(40) }, 'ferry-missing', async () => 'unreachable')));
    expect(failure.type).toBe(FailureType.UnknownRef);
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('a private repository over HTTP, credentials by variable name', () => {
  const USER = 'ferry-bot';
  const PASSWORD = 's3cr3t-pa55-4b1e';
  const WRONG = 'wr0ng-pa55-77aa';
  const forms = (value: string) => [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)];
  let server: GitHttpServer;
  let origin: TestRepo;
  let url: string;
  let otherUrl: string;
  let bare: string;

  beforeAll(async () => {
    origin = new TestRepo();
    origin.commit('One', AUTHORS.ada, { 'release.txt': 'one\n' });
    bare = origin.bareClone();
    const root = path.dirname(bare);
    git(root, ['clone', '--quiet', '--bare', bare, path.join(root, 'other.git')]);
    server = await startGitHttpServer(root, { username: USER, password: PASSWORD });
    url = `${server.url}/origin.git`;
    otherUrl = `${server.url}/other.git`;
    Object.assign(process.env, { FERRY_TEST_GIT_CREDENTIALS: `${USER}:${PASSWORD}`, FERRY_TEST_GIT_WRONG: `${USER}:${WRONG}` });
  });

  afterAll(async () => {
    delete process.env.FERRY_TEST_GIT_CREDENTIALS;
    delete process.env.FERRY_TEST_GIT_WRONG;
    await server.stop();
  });

  const resolveWith = (repo: string, ref: string, credentialsEnv?: string) => inActivity(() => resolveCommit({ repo, ref, credentialsEnv }));

  /** Every file under `dir`, as text. */
  const filesUnder = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'latin1'));

  test('without credentials the server refuses: RepoUnreachable, not retried', async () => {
    const failure = await failureOf(resolveWith(url, 'main'));
    expect(failure).toMatchObject({ type: FailureType.RepoUnreachable, nonRetryable: true });
    expect(failure.message).toContain(url);
  });

  test('with repoCredentialsEnv it resolves; the credential travels as a header only, never in a URL or a file on disk', async () => {
    const commit = await resolveWith(url, 'main', 'FERRY_TEST_GIT_CREDENTIALS');
    expect(commit).toMatchObject({ sha: origin.head(), subject: 'One' });
    const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    expect(server.requests.some((r) => r.authorization === expected)).toBe(true);
    for (const request of server.requests) for (const form of forms(PASSWORD)) expect(request.path).not.toContain(form);
    const cached = filesUnder(cacheDir);
    expect(cached.length).toBeGreaterThan(0);
    for (const text of cached) for (const form of [...forms(PASSWORD), ...forms(`${USER}:${PASSWORD}`)]) expect(text).not.toContain(form);
  });

  test('a commit the mirror lacks is fetched with the credential (SourceRef.credentialsEnv)', async () => {
    await resolveWith(url, 'main', 'FERRY_TEST_GIT_CREDENTIALS');
    const two = origin.commit('Two', AUTHORS.grace, { 'release.txt': 'two\n' });
    origin.git(['push', '--quiet', bare, 'main']);
    const release = await inActivity(() =>
      withWorktree({ repo: url, sha: two, credentialsEnv: 'FERRY_TEST_GIT_CREDENTIALS' }, 'ferry-private', async (dir) => fs.readFileSync(path.join(dir, 'release.txt'), 'utf8')),
    );
    expect(release).toBe('two\n');
  });

  test('wrong credentials fail without the error repeating them', async () => {
    const failure = await failureOf(resolveWith(otherUrl, 'main', 'FERRY_TEST_GIT_WRONG'));
    expect(failure).toMatchObject({ type: FailureType.RepoUnreachable, nonRetryable: true });
    for (const form of [...forms(WRONG), ...forms(`${USER}:${WRONG}`)]) expect(failure.message).not.toContain(form);
  });

  test('an unset variable is a non-retryable InvalidInput naming the variable', async () => {
    const failure = await failureOf(resolveWith(url, 'main', 'FERRY_TEST_GIT_UNSET'));
    expect(failure).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    expect(failure.message).toBe('FERRY_TEST_GIT_UNSET is not set on this worker (repoCredentialsEnv names it)');
  });

  test('credentials for a repository that is not http(s) are refused', async () => {
    const failure = await failureOf(resolveWith(sample.repo.dir, 'main', 'FERRY_TEST_GIT_CREDENTIALS'));
    expect(failure).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    expect(failure.message).not.toContain(PASSWORD);
  });

  test('maskCredential hides the value in every form git could print it', () => {
    const mask = maskCredential(`${USER}:${PASSWORD}`);
    const said = `fatal: unable to access 'https://${USER}:${encodeURIComponent(PASSWORD)}@h/x.git/': header Authorization: Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')} ${PASSWORD}`;
    const masked = mask(said);
    for (const form of forms(PASSWORD)) expect(masked).not.toContain(form);
    expect(masked).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    expect(masked).toContain('fatal: unable to access');
    expect(maskCredential('just-a-token-value')('token just-a-token-value here')).toBe('token *** here');
  });
});
