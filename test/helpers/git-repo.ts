// Real git repositories for activity tests, made with the git CLI in temp folders.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Author {
  name: string;
  email: string;
}

export const AUTHORS = {
  ada: { name: 'Ada Lovelace', email: 'ada@example.com' },
  grace: { name: 'Grace Hopper', email: 'grace@example.com' },
  linus: { name: 'Linus Torvalds', email: 'linus@example.com' },
  margaret: { name: 'Margaret Hamilton', email: 'margaret@example.com' },
} satisfies Record<string, Author>;

const madeDirs: string[] = [];

/** A temp folder removed by `removeTempDirs()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ferry-test-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of madeDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs git in `cwd` untouched by the machine's own git config (signing, hooks, default branch). */
export function git(cwd: string, args: string[], author?: Author): string {
  const identity = author ?? { name: 'Ferry Test', email: 'test@example.com' };
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
    },
  }).trim();
}

/** A work-tree repository on `main`, grown commit by commit. */
export class TestRepo {
  readonly dir: string;

  constructor(dir = tempDir('repo')) {
    this.dir = dir;
    git(dir, ['init', '--quiet', '--initial-branch=main']);
  }

  git(args: string[], author?: Author): string {
    return git(this.dir, args, author);
  }

  /** Writes `files`, commits them as `author`, and returns the new commit's SHA. */
  commit(subject: string, author: Author, files: Record<string, string>): string {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.dir, name)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, name), content);
    }
    this.git(['add', '--all']);
    this.git(['commit', '--quiet', '-m', subject], author);
    return this.head();
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  checkout(branch: string, options: { create?: boolean; at?: string } = {}): void {
    this.git(options.create ? ['checkout', '--quiet', '-b', branch, options.at ?? 'HEAD'] : ['checkout', '--quiet', branch]);
  }

  /** A merge commit (never a fast-forward) of `branch` into the current branch. */
  merge(branch: string, subject: string, author: Author): string {
    this.git(['merge', '--quiet', '--no-ff', '-m', subject, branch], author);
    return this.head();
  }

  /** An annotated tag when `message` is given, else a lightweight one. */
  tag(name: string, at: string, message?: string, tagger?: Author): void {
    this.git(message ? ['tag', '--annotate', '-m', message, name, at] : ['tag', name, at], tagger);
  }

  /** A bare copy, for the remote (`file://`) form of a repository. */
  bareClone(): string {
    const bare = path.join(tempDir('remote'), 'origin.git');
    git(os.tmpdir(), ['clone', '--quiet', '--bare', this.dir, bare]);
    return bare;
  }
}

export interface SampleRepo {
  repo: TestRepo;
  shas: { first: string; second: string; feature: string; merge: string };
}

/**
 * main:    first (ada, tag v0.9 lightweight) → second (grace, tag v1.0 annotated) → merge (margaret)
 * feature: first → feature (linus)                                              ↗
 * Each commit leaves its own content in `release.txt`, so a checkout shows which commit it is.
 */
export function sampleRepo(): SampleRepo {
  const repo = new TestRepo();
  const first = repo.commit('Add the first release', AUTHORS.ada, { 'release.txt': 'first\n', 'first.txt': 'ada\n' });
  repo.tag('v0.9', first);
  const second = repo.commit('Add the second release', AUTHORS.grace, { 'release.txt': 'second\n' });
  repo.tag('v1.0', second, 'Version 1.0, annotated', AUTHORS.margaret);
  repo.checkout('feature', { create: true, at: first });
  const feature = repo.commit('Add a feature', AUTHORS.linus, { 'feature.txt': 'linus\n' });
  repo.checkout('main');
  const merge = repo.merge('feature', 'Merge the feature branch', AUTHORS.margaret);
  return { repo, shas: { first, second, feature, merge } };
}
