// A branch name in `from` (and recordRef's ref) must be one git takes: git check-ref-format's rules.
import { execFileSync } from 'node:child_process';
import { branchNameOk } from '../../common/release-order-rules';

/** What git itself says, so the rule is pinned against the real thing, not a copy of it. */
function gitTakes(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const GOOD = ['main', 'release/2026', 'env/production', 'a', 'feature/x.y', 'v1.2.3', 'x'.repeat(200), 'a-b_c', 'a.b/c.d', 'x@y'];
const BAD = [
  '',
  'x'.repeat(201),
  '/main',
  'main/',
  'main.',
  'main.lock',
  'a/b.lock/c',
  '-main',
  'a//b',
  'a..b',
  'a@{b',
  '.hidden',
  'a/.b',
  'a b',
  'a\tb',
  'a~1',
  'a^2',
  'a:b',
  'a?',
  'a*',
  'a[b',
  'a\\b',
  'a\x7fb',
  'a\x01b',
];

test.each(GOOD)('%j is a branch name, as git says', (name) => {
  expect(branchNameOk(name)).toBe(true);
  expect(gitTakes(name)).toBe(true);
});

test.each(BAD)('%j is refused (git refuses it too, or it is over 200 characters)', (name) => {
  expect(branchNameOk(name)).toBe(false);
  if (name.length <= 200 && name !== '') expect(gitTakes(name)).toBe(false);
});

test('"@" is refused: git reads it as HEAD, never as a branch of that name', () => {
  expect(branchNameOk('@')).toBe(false);
});

test('from takes short branch names only: refs/heads/main or HEAD would never match a branch', async () => {
  const { ferryConfigSchema } = await import('../../common/config-schema');
  const config = (from: string[]) => ({
    app: 'shop',
    repo: '.',
    build: { command: 'true' },
    environments: [{ name: 'dev', target: { kind: 'local', port: 4100, start: 'node server.js' }, from }],
  });
  expect(ferryConfigSchema.safeParse(config(['main', 'release/2026'])).success).toBe(true);
  for (const bad of ['refs/heads/main', 'HEAD']) {
    const result = ferryConfigSchema.safeParse(config([bad]));
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      "environments.0.from.0: must be a branch's short name (main, not refs/heads/main or HEAD)",
    ]);
  }
});
