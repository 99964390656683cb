// examples/github-actions/promote.yml is copied into other repositories and never runs here, so
// these checks read it: its triggers and jobs, every `ferry` command in its scripts against the
// CLI's contract, and its secrets against the variables the CLI reads. The second half edits
// copies of the file to show every check can fail.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKER_ENV_VARS, workerSettings } from '../../worker/connection-options';

const FILE = path.resolve(__dirname, '..', '..', 'examples', 'github-actions', 'promote.yml');
const TEXT = fs.readFileSync(FILE, 'utf8');

// ---------------------------------------------------------------------------------------------
// The CLI's contract: subcommands, their arguments and flags (`value` flags take one).

type FlagKind = 'value' | 'switch';
interface Subcommand {
  args: [min: number, max: number];
  flags: Record<string, FlagKind>;
  required?: string[];
  /** At most one of these. */
  exclusive?: string[];
  /** Exactly one of: the argument, or this flag. */
  argOrFlag?: string;
}

const CONTRACT: Record<string, Subcommand> = {
  start: { args: [0, 0], flags: { '--config': 'value', '--ref': 'value', '--to': 'value', '--wait': 'switch', '--json': 'switch' } },
  status: { args: [1, 1], flags: { '--json': 'switch' } },
  approve: { args: [1, 1], flags: { '--env': 'value', '--as': 'value', '--comment': 'value' }, required: ['--env', '--as'] },
  reject: { args: [1, 1], flags: { '--env': 'value', '--as': 'value', '--reason': 'value' }, required: ['--env', '--as', '--reason'] },
  abort: { args: [1, 1], flags: { '--as': 'value', '--reason': 'value' }, required: ['--as', '--reason'] },
  list: { args: [0, 0], flags: { '--app': 'value', '--state': 'value', '--json': 'switch' } },
  history: { args: [1, 1], flags: { '--json': 'switch', '--mermaid': 'switch' }, exclusive: ['--json', '--mermaid'] },
  replay: { args: [0, 1], flags: { '--file': 'value' }, argOrFlag: '--file' },
  retry: { args: [1, 1], flags: {} },
  worker: { args: [0, 0], flags: { '--task-queue': 'value' } },
  dev: { args: [0, 0], flags: {} },
};

interface Invocation {
  subcommand: string;
  args: string[];
  flags: Record<string, string | true>;
  /** The words as written, for messages. */
  text: string;
}

/** Problems of one `ferry` command line against the contract. */
function contractProblems(words: string[]): string[] {
  const [subcommand, ...rest] = words;
  const spec = CONTRACT[subcommand];
  const where = `\`ferry ${words.join(' ')}\``;
  if (!spec) return [`${where}: no subcommand ${subcommand}`];
  const problems: string[] = [];
  const args: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (!word.startsWith('-')) {
      args.push(word);
      continue;
    }
    const [flag, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const kind = spec.flags[flag];
    if (!kind) problems.push(`${where}: ${subcommand} has no flag ${flag}`);
    else if (kind === 'switch' && inline !== undefined) problems.push(`${where}: ${flag} takes no value`);
    else if (kind === 'value' && inline === undefined && (i + 1 >= rest.length || rest[i + 1].startsWith('-'))) problems.push(`${where}: ${flag} needs a value`);
    if (flag in flags) problems.push(`${where}: ${flag} given twice`);
    flags[flag] = kind === 'value' ? (inline ?? rest[++i]) : true;
  }
  const [min, max] = spec.args;
  if (spec.argOrFlag) {
    if ((args.length === 1) === spec.argOrFlag in flags) problems.push(`${where}: give an ID or ${spec.argOrFlag}, one of them`);
  } else if (args.length < min || args.length > max) {
    problems.push(`${where}: ${subcommand} takes ${min === max ? min : `${min} to ${max}`} argument(s), not ${args.length}`);
  }
  for (const flag of spec.required ?? []) if (!(flag in flags)) problems.push(`${where}: ${flag} is required`);
  if (spec.exclusive && spec.exclusive.filter((f) => f in flags).length > 1) problems.push(`${where}: ${spec.exclusive.join(' and ')} exclude each other`);
  return problems;
}

function invocation(words: string[]): Invocation {
  const [subcommand, ...rest] = words;
  const args: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (!word.startsWith('-')) args.push(word);
    else if (word.includes('=')) flags[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
    else flags[word] = CONTRACT[subcommand]?.flags[word] === 'value' ? rest[++i] : true;
  }
  return { subcommand, args, flags, text: `ferry ${words.join(' ')}` };
}

// ---------------------------------------------------------------------------------------------
// A small shell reader: enough of sh to find the commands of a `run:` script and their words.

type Token = { word: string } | { op: string };

const SEPARATORS = ['&&', '||', '$(', ';', '|', '&', '(', ')', '`', '\n'];
const REDIRECTIONS = /^(\d*>>|\d*>&\d*|\d*>|<<<|<|&>)/;

function tokens(script: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < script.length) {
    const c = script[i];
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < script.length && script[i] !== '\n') i++;
      continue;
    }
    const redirection = script.slice(i).match(REDIRECTIONS);
    if (redirection) {
      out.push({ op: redirection[0] });
      i += redirection[0].length;
      continue;
    }
    const separator = SEPARATORS.find((s) => script.startsWith(s, i));
    if (separator) {
      out.push({ op: separator });
      i += separator.length;
      continue;
    }
    let word = '';
    while (i < script.length && !/[\s;&|()<>`]/.test(script[i])) {
      const ch = script[i];
      if (ch === "'") {
        const end = script.indexOf("'", i + 1) < 0 ? script.length : script.indexOf("'", i + 1);
        word += script.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '\\') {
        if (script[i + 1] === '\n') {
          i += 2;
          break;
        }
        word += script[i + 1] ?? '';
        i += 2;
      } else if (ch === '"') {
        i++;
        while (i < script.length && script[i] !== '"') {
          if (script[i] === '\\' && '"\\$`'.includes(script[i + 1])) i++;
          word += script[i++];
        }
        i++;
      } else if (ch === '$' && script[i + 1] === '(') {
        break;
      } else {
        word += ch;
        i++;
      }
    }
    if (word) out.push({ word });
  }
  return out;
}

/** The simple commands of a script, each as its words, redirections left out. */
function commands(script: string): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  const list = tokens(script);
  for (let i = 0; i < list.length; i++) {
    const token = list[i];
    if ('word' in token) {
      current.push(token.word);
    } else if (REDIRECTIONS.test(token.op) && !SEPARATORS.includes(token.op)) {
      if (!/&\d/.test(token.op)) i++; // the redirection's target is not an argument
    } else {
      if (current.length) result.push(current);
      current = [];
    }
  }
  if (current.length) result.push(current);
  return result;
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', 'time', '{', '}', 'exec']);

/** The `ferry …` / `npx ferry …` commands of a script, as the words after `ferry`. */
function ferryCommands(script: string): string[][] {
  const found: string[][] = [];
  for (let words of commands(script)) {
    while (words.length && (KEYWORDS.has(words[0]) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]))) words = words.slice(1);
    if (words[0] === 'npx') words = words.slice(1).filter((w, i, all) => !(w.startsWith('-') && all.indexOf('ferry') > i));
    if (words[0] === 'ferry') found.push(words.slice(1));
  }
  return found;
}

/** Every place a script names a ferry subcommand, seen or not by the reader above. */
const ferryMentions = (script: string) =>
  script
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .match(/(?<![\w.\/-])ferry\s+[a-z][\w-]*/g) ?? [];

// ---------------------------------------------------------------------------------------------
// The workflow file

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  with?: Record<string, string | number | boolean>;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Job {
  if?: string | boolean;
  needs?: string | string[];
  environment?: string | { name: string };
  'runs-on'?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; 'branches-ignore'?: string[] } | null>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (text: string): Workflow => parse(text) as Workflow;
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const environmentOf = (job: Job) => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

/** Job `if:` conditions on the ref: `github.ref == '…'`, `!=`, joined by `&&`. */
function runsOn(condition: string | boolean | undefined, ref: string): boolean {
  if (condition === undefined) return true;
  const expression = String(condition).replace(/^\$\{\{\s*|\s*\}\}$/g, '');
  return expression.split('&&').every((clause) => {
    if (clause.trim() === 'true') return true;
    const m = clause.trim().match(/^github\.ref\s*(==|!=)\s*'([^']*)'$/);
    if (!m) throw new Error(`cannot evaluate the condition ${clause.trim()}`);
    return (ref === m[2]) === (m[1] === '==');
  });
}

/** A glob of `on.push.branches` (`*` within a segment, `**` across). */
function branchMatches(glob: string, branch: string): boolean {
  const pattern = glob
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\u0000/g, '.*');
  return new RegExp(`^${pattern}$`).test(branch);
}

/** Which jobs a push to `branch` runs: the workflow triggers, each job's `if:` holds, and the jobs it needs run. */
function jobsRunFor(workflow: Workflow, branch: string): string[] {
  const push = workflow.on.push;
  if (!push || !(push.branches ?? ['**']).some((glob) => branchMatches(glob, branch))) return [];
  const ref = `refs/heads/${branch}`;
  const runs = (name: string, seen: string[] = []): boolean => {
    const job = workflow.jobs[name];
    if (!job || seen.includes(name)) return false;
    return runsOn(job.if, ref) && needsOf(job).every((need) => runs(need, [...seen, name]));
  };
  return Object.keys(workflow.jobs)
    .filter((name) => runs(name))
    .sort();
}

const PROMOTIONS: Record<string, { branch: string; jobs: Record<string, { to: string; environment?: string }> }> = {
  'a feature branch': { branch: 'feature/checkout-v2', jobs: { dev: { to: 'dev' } } },
  main: { branch: 'main', jobs: { staging: { to: 'staging' }, production: { to: 'production', environment: 'production' } } },
};

function checkTriggers(workflow: Workflow): string[] {
  const problems: string[] = [];
  const triggers = Object.keys(workflow.on ?? {});
  if (triggers.join() !== 'push') problems.push(`triggers are ${triggers.join(', ')}, not push alone`);
  for (const [what, { branch, jobs }] of Object.entries(PROMOTIONS)) {
    let ran: string[];
    try {
      ran = jobsRunFor(workflow, branch);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    const wanted = Object.keys(jobs).sort();
    if (ran.join() !== wanted.join()) problems.push(`a push to ${what} runs ${ran.join(', ') || 'nothing'}, not ${wanted.join(', ')}`);
    for (const [name, { environment }] of Object.entries(jobs)) {
      const job = workflow.jobs[name];
      if (job && environmentOf(job) !== environment) problems.push(`${name}: GitHub environment is ${environmentOf(job)}, not ${environment}`);
    }
  }
  const production = workflow.jobs.production;
  if (production && !needsOf(production).includes('staging')) problems.push('production does not need staging');
  return problems;
}

function checkFerryCommands(workflow: Workflow): string[] {
  const problems: string[] = [];
  let total = 0;
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    for (const step of job.steps ?? []) {
      if (!step.run) continue;
      const found = ferryCommands(step.run);
      total += found.length;
      for (const words of found) problems.push(...contractProblems(words).map((p) => `${jobName}: ${p}`));
      const mentions = ferryMentions(step.run);
      if (mentions.length !== found.length) problems.push(`${jobName}: ${mentions.length} ferry commands written, ${found.length} readable as commands`);
    }
  }
  if (total === 0) problems.push('no ferry commands at all');
  return problems;
}

/** Each promotion job runs `ferry start --to <its environment> --wait` on the pushed commit. */
function checkPromotions(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const { jobs } of Object.values(PROMOTIONS)) {
    for (const [name, { to }] of Object.entries(jobs)) {
      const job = workflow.jobs[name];
      if (!job) {
        problems.push(`no job ${name}`);
        continue;
      }
      const starts = job.steps
        .flatMap((step) => ferryCommands(step.run ?? ''))
        .map(invocation)
        .filter((c) => c.subcommand === 'start');
      if (starts.length !== 1) problems.push(`${name}: ${starts.length} ferry start commands, not 1`);
      for (const start of starts) {
        if (start.flags['--to'] !== to) problems.push(`${name}: \`${start.text}\` promotes to ${start.flags['--to']}, not ${to}`);
        if (start.flags['--wait'] !== true) problems.push(`${name}: \`${start.text}\` does not --wait, so the job's outcome is not the promotion's`);
        if (start.flags['--ref'] !== '$GITHUB_SHA') problems.push(`${name}: \`${start.text}\` does not promote the pushed commit ($GITHUB_SHA)`);
      }
    }
  }
  return problems;
}

/** Each promotion job draws `ferry history <id> --mermaid` into the step summary, whatever the outcome. */
function checkSummaries(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const { jobs } of Object.values(PROMOTIONS)) {
    for (const name of Object.keys(jobs)) {
      const steps = workflow.jobs[name]?.steps ?? [];
      const promote = steps.find((s) => ferryCommands(s.run ?? '').some((w) => w[0] === 'start'));
      const summary = steps.find((s) => ferryCommands(s.run ?? '').some((w) => w[0] === 'history'));
      if (!promote || !summary) {
        problems.push(`${name}: no ${promote ? 'ferry history' : 'ferry start'} step`);
        continue;
      }
      const history = invocation(ferryCommands(summary.run ?? '').find((w) => w[0] === 'history')!);
      if (history.flags['--mermaid'] !== true) problems.push(`${name}: \`${history.text}\` is not --mermaid`);
      // Inside a `{ …; } >> "$GITHUB_STEP_SUMMARY"` group, or redirected there itself.
      const lines = (summary.run ?? '').split('\n');
      const at = lines.findIndex((l) => /\bferry\s+history\b/.test(l));
      const toSummary = (l: string) => />>\s*"?\$GITHUB_STEP_SUMMARY"?/.test(l);
      const closing = lines.findIndex((l, i) => i > at && /^\s*\}/.test(l));
      const opening = lines.slice(0, at).findLastIndex((l) => /^\s*\{\s*$/.test(l));
      if (!toSummary(lines[at]) && !(opening >= 0 && closing > at && toSummary(lines[closing]))) {
        problems.push(`${name}: ferry history does not go to $GITHUB_STEP_SUMMARY`);
      }
      if (!/\balways\(\)/.test(summary.if ?? '')) problems.push(`${name}: the summary step does not run when the promotion failed (if: always())`);
      // The history is of this job's promotion: the ID the promote step wrote to its outputs.
      const idVariable = history.args[0]?.match(/^\$\{?(\w+)\}?$/)?.[1];
      const source = idVariable ? summary.env?.[idVariable] : undefined;
      if (!promote.id || source?.replace(/\s/g, '') !== `\${{steps.${promote.id}.outputs.id}}`) {
        problems.push(`${name}: ferry history is not given the ID of the promote step's output`);
      }
      if (!/echo\s+"id=.*>>\s*"\$GITHUB_OUTPUT"/.test(promote.run ?? '')) problems.push(`${name}: the promote step does not output the workflow ID`);
    }
  }
  return problems;
}

const cliReads = (name: string): boolean => WORKER_ENV_VARS.includes(name);

const CONNECTION_SECRETS = ['TEMPORAL_ADDRESS', 'TEMPORAL_API_KEY', 'TEMPORAL_NAMESPACE'];

/** Secrets are the CLI's own variables, each passed under its own name to every job. */
function checkSecrets(text: string): string[] {
  const problems: string[] = [];
  const workflow = load(text);
  const named = [...new Set([...text.matchAll(/\$\{\{\s*secrets\.(\w+)\s*\}\}/g)].map((m) => m[1]))].sort();
  if (named.join() !== CONNECTION_SECRETS.join()) problems.push(`secrets used: ${named.join(', ')}; the connection needs ${CONNECTION_SECRETS.join(', ')}`);
  for (const name of named) if (!cliReads(name)) problems.push(`secret ${name} is not a variable the CLI reads`);
  const env = workflow.env ?? {};
  for (const name of CONNECTION_SECRETS) {
    if (env[name]?.replace(/\s/g, '') !== `\${{secrets.${name}}}`) problems.push(`env ${name} is not the secret ${name}, for all jobs`);
  }
  // With stand-in values the CLI would connect with an API key over TLS.
  const standIn = Object.fromEntries(
    Object.keys(env)
      .filter((k) => CONNECTION_SECRETS.includes(k))
      .map((k) => [k, k === 'TEMPORAL_ADDRESS' ? 'temporal-address.example:7233' : `${k.toLowerCase()}-value`]),
  );
  try {
    const settings = workerSettings(standIn);
    if (settings.apiKey !== standIn.TEMPORAL_API_KEY || settings.tls !== true) problems.push('the CLI would not connect with the API key over TLS');
  } catch (error) {
    problems.push(`workerSettings refuses the workflow's connection variables: ${(error as Error).message}`);
  }
  return problems;
}

/** Actions pinned to a release: the two this example needs, on v4, with Node 20 for the CLI. */
function checkActions(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const uses = job.steps.filter((s) => s.uses).map((s) => s.uses!);
    for (const use of uses) if (!['actions/checkout@v4', 'actions/setup-node@v4'].includes(use)) problems.push(`${name}: uses ${use}`);
    const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    if (node && String(node.with?.['node-version']) !== '20') problems.push(`${name}: setup-node installs Node ${node.with?.['node-version']}, not 20`);
    if (job.steps.some((s) => ferryCommands(s.run ?? '').length) && !(uses.includes('actions/checkout@v4') && node)) {
      problems.push(`${name}: runs ferry without checking out and setting up Node`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('the shell reader', () => {
  it('finds ferry commands wherever a command starts, without redirections', () => {
    const script = [
      'npx ferry start --to dev --wait > "$RUNNER_TEMP/out.json"',
      'id=$(npx ferry start --json | jq -r .workflowId)',
      'if ferry status "$ID"; then echo "ferry is done"; fi',
      '{ echo x; npx ferry history "$ID" --mermaid; } >> "$GITHUB_STEP_SUMMARY"',
      '# ferry abort in a comment',
      "echo 'ferry.config.yaml'",
    ].join('\n');
    expect(ferryCommands(script)).toEqual([
      ['start', '--to', 'dev', '--wait'],
      ['start', '--json'],
      ['status', '$ID'],
      ['history', '$ID', '--mermaid'],
    ]);
    expect(ferryMentions(script)).toHaveLength(5); // "ferry is done" is text, which the check then flags
  });

  it('holds commands to the contract', () => {
    expect(contractProblems(['approve', 'ferry-shop-abc1234', '--env', 'production', '--as', 'kim'])).toEqual([]);
    expect(contractProblems(['replay', '--file', 'h.json'])).toEqual([]);
    expect(contractProblems(['approve', 'ferry-shop-abc1234', '--env', 'production'])).toEqual([expect.stringMatching(/--as is required/)]);
    expect(contractProblems(['replay', 'ferry-shop-abc1234', '--file', 'h.json'])).toEqual([expect.stringMatching(/one of them/)]);
    expect(contractProblems(['history', 'x', '--json', '--mermaid'])).toEqual([expect.stringMatching(/exclude each other/)]);
    expect(contractProblems(['start', '--to'])).toEqual([expect.stringMatching(/--to needs a value/)]);
  });
});

describe('examples/github-actions/promote.yml', () => {
  const workflow = load(TEXT);

  it('runs on pushes: feature branches promote to dev, main to staging and then production behind its GitHub environment', () => {
    expect(checkTriggers(workflow)).toEqual([]);
  });

  it('uses only subcommands and flags of the ferry CLI', () => {
    expect(checkFerryCommands(workflow)).toEqual([]);
  });

  it('waits for each promotion, so the job fails when the promotion does', () => {
    expect(checkPromotions(workflow)).toEqual([]);
  });

  it("draws each promotion's history as mermaid into the step summary", () => {
    expect(checkSummaries(workflow)).toEqual([]);
  });

  it("connects with secrets named as the CLI's variables", () => {
    expect(checkSecrets(TEXT)).toEqual([]);
  });

  it('pins its actions', () => {
    expect(checkActions(workflow)).toEqual([]);
  });
});

describe('the promote.yml checks fail on a broken copy', () => {
  function edited(from: string | RegExp, to: string): string {
    const text = TEXT.replace(from, to);
    if (text === TEXT) throw new Error(`the edit found no ${from}`);
    return text;
  }
  const onWorkflow = (check: (w: Workflow) => string[]) => (text: string) => check(load(text));

  const cases: [string, (text: string) => string[], () => string, RegExp][] = [
    ['only main triggers', onWorkflow(checkTriggers), () => edited('branches: ["**"]', 'branches: [main]'), /feature branch runs nothing/],
    ['pull requests trigger too', onWorkflow(checkTriggers), () => edited('on:\n  push:', 'on:\n  pull_request:\n  push:'), /not push alone/],
    ['dev runs on main too', onWorkflow(checkTriggers), () => edited("if: github.ref != 'refs/heads/main'", 'if: true'), /a push to main runs dev, production, staging/],
    ['production without its GitHub environment', onWorkflow(checkTriggers), () => edited(/\n\s+environment:\n\s+name: production/, ''), /production: GitHub environment is undefined/],
    ['production not after staging', onWorkflow(checkTriggers), () => edited('needs: staging', 'needs: []'), /production does not need staging/],
    ['an unknown subcommand', onWorkflow(checkFerryCommands), () => edited('npx ferry status "$ID"', 'npx ferry show "$ID"'), /no subcommand show/],
    ['a flag outside the contract', onWorkflow(checkFerryCommands), () => edited('npx ferry status "$ID"', 'npx ferry status "$ID" --watch'), /status has no flag --watch/],
    ['history as both json and mermaid', onWorkflow(checkFerryCommands), () => edited('npx ferry history "$ID" --mermaid', 'npx ferry history "$ID" --mermaid --json'), /exclude each other/],
    ['a ferry command the reader cannot see', onWorkflow(checkFerryCommands), () => edited('npx ferry status "$ID"', 'echo "$(npx ferry status "$ID")"'), /readable as commands/],
    ['a promotion that does not wait', onWorkflow(checkPromotions), () => edited('--to staging --wait', '--to staging'), /staging: .* does not --wait/],
    ['a promotion to the wrong environment', onWorkflow(checkPromotions), () => edited('--to dev --wait', '--to staging --wait'), /dev: .* promotes to staging, not dev/],
    [
      'a promotion of the branch, not the commit',
      onWorkflow(checkPromotions),
      () => edited('--ref "$GITHUB_SHA" --to production', '--ref main --to production'),
      /production: .* does not promote the pushed commit/,
    ],
    ['a history that is not mermaid', onWorkflow(checkSummaries), () => edited(/history "\$ID" --mermaid/, 'history "$ID" --json'), /is not --mermaid/],
    ['a history that goes to the log', onWorkflow(checkSummaries), () => edited(/\} >> "\$GITHUB_STEP_SUMMARY"/, '}'), /does not go to \$GITHUB_STEP_SUMMARY/],
    ['a summary skipped on failure', onWorkflow(checkSummaries), () => edited(/if: always\(\) && /, 'if: '), /does not run when the promotion failed/],
    ['a secret under another name', checkSecrets, () => edited('${{ secrets.TEMPORAL_ADDRESS }}', '${{ secrets.TEMPORAL_HOST }}'), /secret TEMPORAL_HOST is not a variable the CLI reads/],
    [
      'a secret passed as another variable',
      checkSecrets,
      () => edited('TEMPORAL_API_KEY: ${{ secrets.TEMPORAL_API_KEY }}', 'TEMPORAL_TOKEN: ${{ secrets.TEMPORAL_API_KEY }}'),
      /env TEMPORAL_API_KEY is not the secret/,
    ],
    ['an action on a branch', onWorkflow(checkActions), () => edited('actions/checkout@v4', 'actions/checkout@main'), /uses actions\/checkout@main/],
    ['another Node', onWorkflow(checkActions), () => edited('node-version: 20', 'node-version: 18'), /installs Node 18/],
  ];

  it.each(cases)('%s', (_name, check, broken, message) => {
    let problems: string[];
    try {
      problems = check(broken());
    } catch (error) {
      problems = [(error as Error).message];
    }
    expect(problems).toContainEqual(expect.stringMatching(message));
  });
});
