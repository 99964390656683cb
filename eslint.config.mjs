// ESLint for Ferry's TypeScript: promises that are awaited or handed on, and the layering of
// DESIGN.md as import rules. `npm run lint` runs it; test/unit/lint.test.ts fails `npm test` on
// any finding and names the file, the line and the rule.
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))];
// `node:anything`, or a built-in's bare name and its subpaths (fs, fs/promises).
const NODE_BUILTIN = `^(node:|(${nodeBuiltins.map((name) => name.replace(/[/]/g, '\\/')).join('|')})(/|$))`;

/** One `@typescript-eslint/no-restricted-imports` per file: a later block's options replace an earlier one's. */
const restrictImports = (patterns, { allowTypeImports }) => ['error', { patterns: patterns.map((pattern) => ({ ...pattern, allowTypeImports })) }];

// The rule sees an import's text, not the file it resolves to, and activities/ has folders of its
// own named like the top ones (activities/targets/kubernetes/client.ts). So each depth below a
// folder gets its own block: from `folder/a/b.ts`, `../../` is the repository's top and `../` is
// still inside `folder`.
const DEPTHS = 8;
const layer = (folder, { ignores = [] } = {}, rulesAt) =>
  Array.from({ length: DEPTHS }, (_, below) => ({
    files: [`${folder}/${'*/'.repeat(below)}*.ts`],
    ignores,
    rules: rulesAt({
      toTop: `(\\.\\./){${below + 1}}`,
      // `./x`, or up at most to the folder itself (never a bare `..`, which the rule would also see).
      inside: below === 0 ? '\\./' : `\\./|(\\.\\./){1,${below}}(?!\\.\\./)`,
    }),
  }));

// Workflow code runs in Temporal's sandbox and must replay the same commands: no I/O, nothing
// loaded at run time. `common/` is imported by workflows, so it is held to the same.
const noRuntimeLoading = [
  'error',
  { selector: "CallExpression[callee.name='require']", message: 'Workflow and common code load nothing at run time: import it statically (DESIGN.md, Layout).' },
  { selector: 'ImportExpression', message: 'Workflow and common code load nothing at run time: import it statically (DESIGN.md, Layout).' },
];

const ZOD_LOCALES_LEFT_OUT = "zod's locales are left out of the `ferry` command and of every workflow bundle (common/workflow-bundle.ts): Ferry's messages are zod's English.";

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', 'coverage/', '.tools/', '.ferry/', '.stryker-tmp/', '**/*.js', '**/*.mjs', '**/*.cjs']),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    // The code carries directives for rules of typescript-eslint's recommended sets that are not on here.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection ends the worker) and its ordering.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a plain one is expected (an event handler, a forEach) drops its rejection.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // The `ferry` command and every workflow bundle leave zod's locales out (common/workflow-bundle.ts).
      'no-restricted-properties': ['error', { property: 'locales', message: ZOD_LOCALES_LEFT_OUT }],
      // Their modules too. Refusing `import { locales } from 'zod'` would refuse `import * as z` as
      // well (the rule cannot tell them apart), so only its use as a property is caught.
      'no-restricted-imports': ['error', { paths: ['zod/locales', 'zod/v4/locales'].map((name) => ({ name, message: ZOD_LOCALES_LEFT_OUT })) }],
    },
  },
  ...layer('common', {}, ({ inside }) => ({
    '@typescript-eslint/no-restricted-imports': restrictImports(
      [
        {
          regex: NODE_BUILTIN,
          message: 'common/ has no I/O and is imported by workflow code, which runs in Temporal’s sandbox: no Node built-ins (DESIGN.md, Layout).',
        },
        {
          // Pure libraries only; relative imports stay inside common/.
          regex: `^(?!${inside}|zod(/|$)|yaml(/|$)|@temporalio/(common|workflow)(/|$))`,
          message: 'common/ has no I/O: it imports only common/ itself, zod, yaml, @temporalio/common and @temporalio/workflow (DESIGN.md, Layout).',
        },
      ],
      // A type is erased before anything runs.
      { allowTypeImports: true },
    ),
    'no-restricted-syntax': noRuntimeLoading,
  })),
  ...layer('workflows', {}, ({ inside, toTop }) => ({
    '@typescript-eslint/no-restricted-imports': restrictImports(
      [
        {
          regex: NODE_BUILTIN,
          message: 'Workflow code runs in Temporal’s sandbox: no Node built-ins; do I/O in an activity (DESIGN.md, Layout).',
        },
        {
          regex: `^(?!${inside}|${toTop}common/|@temporalio/workflow(/|$))`,
          message: 'workflows/ import only common/ and @temporalio/workflow: activity, worker and client code stays out of the sandbox (DESIGN.md, Layout).',
        },
      ],
      // A type is erased before the sandbox sees it (e.g. zod's, for a payload schema's type).
      { allowTypeImports: true },
    ),
    'no-restricted-syntax': noRuntimeLoading,
  })),
  ...layer('activities', {}, ({ toTop }) => ({
    '@typescript-eslint/no-restricted-imports': restrictImports(
      [
        {
          regex: `^${toTop}(workflows|worker|client)(/|$)`,
          message: 'activities/ import common/, git/ and libraries, never workflows/, worker/ or client/ (DESIGN.md, Layout).',
        },
      ],
      { allowTypeImports: false },
    ),
  })),
  ...layer('git', {}, ({ toTop }) => ({
    '@typescript-eslint/no-restricted-imports': restrictImports(
      [
        {
          regex: `^${toTop}(activities|workflows|worker|client)(/|$)`,
          message: 'git/ is shared by the CLI and the activities: it imports common/ and libraries only.',
        },
        {
          regex: '^@temporalio/(activity|worker|client)(/|$)',
          message: 'git/ knows nothing of an activity or a worker: a caller hands in its cancellation signal.',
        },
      ],
      { allowTypeImports: false },
    ),
  })),
  // `ferry worker`, `ferry dev` and the demo run a worker in the CLI's process: only they reach
  // into worker/ and activities/, and cli.ts loads each command's module only when it runs.
  ...layer('client', { ignores: ['client/commands/serve.ts', 'client/dev/**', 'client/demo/**'] }, ({ toTop }) => ({
    '@typescript-eslint/no-restricted-imports': restrictImports(
      [
        {
          regex: `^${toTop}(activities|worker|workflows)(/|$)`,
          message: 'The CLI talks to Temporal: it does not import activities/, worker/ or workflows/ (DESIGN.md, Layout). Git access is in git/.',
        },
        {
          regex: '^@temporalio/activity(/|$)',
          message: 'The CLI runs no activity (DESIGN.md, Layout).',
        },
      ],
      { allowTypeImports: false },
    ),
  })),
);
