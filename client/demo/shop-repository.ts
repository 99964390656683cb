// The demo's app repository: the shop from examples/, as a git repository of its own under
// .ferry/shop, with a new release committed on every run so each run promotes a new commit.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../dev/tools';

const SHOP_SOURCE = path.join(PROJECT_ROOT, 'examples', 'shop');
const AUTHOR = { name: 'Sasha Shopkeeper', email: 'sasha@shop.example' };

function git(dir: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
    },
  }).trim();
}

/** What a release does on purpose: `checkoutBroken` serves its pages but fails every checkout. */
export interface ReleaseFlaws {
  checkoutBroken?: boolean;
}

/** Copies the shop into `dir` (a git repository, made if needed) and commits a new release. */
export function commitShopRelease(dir: string, release: string, flaws: ReleaseFlaws = {}): { sha: string; configFile: string } {
  if (!fs.existsSync(path.join(dir, '.git'))) {
    fs.mkdirSync(dir, { recursive: true });
    git(dir, ['init', '--quiet', '--initial-branch=main']);
  }
  fs.cpSync(SHOP_SOURCE, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'release.json'), `${JSON.stringify({ name: release, failRate: 0, slowMs: 0, ...flaws })}\n`);
  git(dir, ['add', '--all']);
  git(dir, ['commit', '--quiet', '--allow-empty', '-m', `Release ${release}`]);
  return { sha: git(dir, ['rev-parse', 'HEAD']), configFile: path.join(dir, 'ferry.config.yaml') };
}
