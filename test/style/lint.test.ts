// npm test fails on a lint finding or an unformatted file, naming each: ESLint (eslint.config.mjs:
// promises, and DESIGN.md's layering as import rules) and Prettier (.prettierrc.json), both over
// the whole tree as `npm run lint` and `npm run format` see it. The rules are also held to their
// edges here, on snippets linted as if they stood in a real file of each folder.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const bin = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

/** Runs a node script in the repository; resolves with its output whatever its exit code. */
async function node(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = run(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface Finding {
  filePath: string;
  messages: Array<{ ruleId: string | null; line: number; column: number; message: string }>;
}

test('ESLint finds nothing in the tree (npm run lint)', async () => {
  const { code, stdout, stderr } = await node([bin('eslint', 'bin/eslint.js'), '--format', 'json', '.']);
  if (stdout.trim() === '') throw new Error(`eslint printed no report (exit ${code}): ${stderr}`);
  const findings = (JSON.parse(stdout) as Finding[]).flatMap((file) => file.messages.map((m) => `${path.relative(ROOT, file.filePath)}:${m.line}:${m.column} ${m.ruleId ?? 'error'}: ${m.message}`));
  expect(findings).toEqual([]);
  expect(code).toBe(0);
});

test('Prettier finds every file formatted (npm run format writes them)', async () => {
  const { code, stdout, stderr } = await node([bin('prettier', 'bin/prettier.cjs'), '--list-different', '.']);
  const unformatted = stdout.split('\n').filter(Boolean);
  expect({ unformatted, stderr: stderr.trim() }).toEqual({ unformatted: [], stderr: '' });
  expect(code).toBe(0);
});

describe('the rules, at their edges', () => {
  // Each snippet is linted as if it were the file it names, so the folder's rules apply.
  const cases: Array<[string, string, string[]]> = [
    // Workflows: Temporal's sandbox, common/ and @temporalio/workflow only.
    ['workflows/promotion.ts', "import fs from 'node:fs';\nexport const f = fs;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "import { readFile } from 'fs/promises';\nexport const f = readFile;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "import { createHash } from 'crypto';\nexport const f = createHash;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "import { resolveCommit } from '../activities/git';\nexport const f = resolveCommit;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "import { runWorker } from '../worker/run-worker';\nexport const f = runWorker;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "import { z } from 'zod';\nexport const f = z;\n", ['@typescript-eslint/no-restricted-imports']],
    ['workflows/promotion.ts', "export const f = require('../common/plan');\n", ['no-restricted-syntax']],
    [
      'workflows/promotion.ts',
      "import { sleep } from '@temporalio/workflow';\nimport type { z } from 'zod';\nimport { buildPlan } from '../common/plan';\nimport { environmentLock } from './environment-lock';\nexport const f = [sleep, buildPlan, environmentLock];\nexport type Z = z.ZodType;\n",
      [],
    ],
    // common/: no I/O.
    ['common/plan.ts', "import { Client } from 'pg';\nexport const f = Client;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { simpleGit } from 'simple-git';\nexport const f = simpleGit;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { KubeConfig } from '@kubernetes/client-node';\nexport const f = KubeConfig;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { Client } from '@temporalio/client';\nexport const f = Client;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { Worker } from '@temporalio/worker';\nexport const f = Worker;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { Context } from '@temporalio/activity';\nexport const f = Context;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import os from 'node:os';\nexport const f = os;\n", ['@typescript-eslint/no-restricted-imports']],
    ['common/plan.ts', "import { gitIn } from '../git/repository';\nexport const f = gitIn;\n", ['@typescript-eslint/no-restricted-imports']],
    [
      'common/plan.ts',
      "import { z } from 'zod';\nimport { parse } from 'yaml';\nimport { ApplicationFailure } from '@temporalio/common';\nimport { defineSignal } from '@temporalio/workflow';\nimport { FailureType } from './errors';\nexport const f = [z, parse, ApplicationFailure, defineSignal, FailureType];\n",
      [],
    ],
    // The CLI: common/, git/ and @temporalio/client; not activities/, worker/ or workflows/.
    ['client/commands/start.ts', "import { resolveCommit } from '../../activities/git';\nexport const f = resolveCommit;\n", ['@typescript-eslint/no-restricted-imports']],
    ['client/commands/start.ts', "import type { RepoAccess } from '../../activities/git-refs';\nexport type F = RepoAccess;\n", ['@typescript-eslint/no-restricted-imports']],
    ['client/release-policy-check.ts', "import { runWorker } from '../worker/run-worker';\nexport const f = runWorker;\n", ['@typescript-eslint/no-restricted-imports']],
    ['client/release-policy-check.ts', "import { promotion } from '../workflows/promotion';\nexport const f = promotion;\n", ['@typescript-eslint/no-restricted-imports']],
    ['client/release-policy-check.ts', "import { Context } from '@temporalio/activity';\nexport const f = Context;\n", ['@typescript-eslint/no-restricted-imports']],
    [
      'client/commands/start.ts',
      "import { resolveCommit } from '../../git/repository';\nimport { buildPlan } from '../../common/plan';\nimport { Client } from '@temporalio/client';\nexport const f = [resolveCommit, buildPlan, Client];\n",
      [],
    ],
    // ...except the commands that run a worker in the CLI's process.
    ['client/commands/serve.ts', "import { runWorker } from '../../worker/run-worker';\nexport const f = runWorker;\n", []],
    // activities/: a folder of its own named like a top one is its own, the top one is not.
    ['activities/targets/kubernetes/manifests/adopt.ts', "import { kubeClients } from '../client';\nexport const f = kubeClients;\n", []],
    ['activities/targets/kubernetes/manifests/adopt.ts', "import { parseFlags } from '../../../../client/flags';\nexport const f = parseFlags;\n", ['@typescript-eslint/no-restricted-imports']],
    ['activities/git.ts', "import { runWorker } from '../worker/run-worker';\nexport const f = runWorker;\n", ['@typescript-eslint/no-restricted-imports']],
    // git/: shared by the CLI and the activities, so it knows neither.
    ['git/repository.ts', "import { activitySignal } from '../activities/git';\nexport const f = activitySignal;\n", ['@typescript-eslint/no-restricted-imports']],
    ['git/repository.ts', "import { Context } from '@temporalio/activity';\nexport const f = Context;\n", ['@typescript-eslint/no-restricted-imports']],
    // Promises, everywhere.
    ['bench/stabilize.ts', 'async function work(): Promise<void> {}\nwork();\n', ['@typescript-eslint/no-floating-promises']],
    ['bench/stabilize.ts', 'async function work(): Promise<void> {}\nvoid work();\n', []],
    ['worker/run-worker.ts', 'export const f = [1, 2].forEach(async () => {});\n', ['@typescript-eslint/no-misused-promises']],
    ['test/unit/plan.test.ts', "import http from 'node:http';\nexport const s = http.createServer(async (_request, response) => { response.end(); });\n", ['@typescript-eslint/no-misused-promises']],
    // zod's locales, left out of Ferry's processes and bundles, everywhere.
    ['client/commands/start.ts', "import { z } from 'zod';\nz.config(z.locales.de());\n", ['no-restricted-properties']],
    ['client/commands/start.ts', "import * as z from 'zod/v4';\nexport const f = z.string();\n", []],
    ['client/commands/start.ts', "import * as locales from 'zod/v4/locales';\nexport const f = locales;\n", ['no-restricted-imports']],
    ['common/messages.ts', "import { z } from 'zod';\nexport const f = z.string().min(1);\n", []],
  ];

  test('each snippet breaks exactly the rules listed', async () => {
    const { code, stdout, stderr } = await node([path.join(__dirname, 'lint-probe.mjs')], JSON.stringify(cases.map(([filePath, snippet]) => ({ filePath, code: snippet }))));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const found = JSON.parse(stdout) as string[][];
    expect(cases.map(([file, snippet], i) => ({ file, snippet, rules: [...new Set(found[i])] }))).toEqual(cases.map(([file, snippet, rules]) => ({ file, snippet, rules })));
  });
});
