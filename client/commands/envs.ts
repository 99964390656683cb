// `ferry envs`: what runs where. The matrix of apps × environments (version, age, state, a
// promotion waiting for approval), or one environment's releases, from the ledgers the
// environments' locks keep. Reads only; a lock whose worker does not answer is shown as unknown.
import type { Client } from '@temporalio/client';
import fs from 'node:fs';
import { z } from 'zod';
import { CliExit, ExitCode } from '../exit-codes';
import { render } from '../output';
import { asBadInput, parseFlags } from '../flags';
import { loadConfig } from '../load-config';
import { gatherViews, knownApps } from '../envs/gather';
import { fencedMermaid } from '../envs/mermaid';
import { orderViews, type ConfiguredOrder } from '../envs/order';
import { oneLine, summarize, type EnvironmentView } from '../envs/summary';
import { matrixTable, releasesTable } from '../envs/table';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const DEFAULT_CONFIG = 'ferry.config.yaml';
const ferryName = (what: string) =>
  z
    .string()
    .max(100, 'must be at most 100 characters')
    .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, `must be ${what} name (lowercase letters, digits and dashes, at most 40)`);

export const envsFlagsSchema = z
  .object({
    app: ferryName('an app').optional(),
    environment: ferryName('an environment').optional(),
    output: z.enum(['table', 'json', 'yaml', 'mermaid']).optional(),
    json: z.boolean().default(false),
    config: z.string().min(1, 'must name a file').max(4_096).optional(),
  })
  .superRefine((flags, ctx) => {
    if (flags.json && flags.output && flags.output !== 'json') ctx.addIssue({ code: 'custom', path: ['output'], message: `${flags.output} conflicts with --json (which is -o json)` });
    if (flags.environment && flags.output === 'mermaid') {
      ctx.addIssue({ code: 'custom', path: ['output'], message: "mermaid draws the matrix of environments; one environment's releases are a table, json or yaml" });
    }
  })
  .transform(({ json, output, ...rest }) => ({ ...rest, output: output ?? (json ? 'json' : 'table') }));
const FLAG_NAMES = { app: '<app>', environment: '<env>', output: '-o/--output', json: '--json', config: '-c/--config' };

/** The config's order of environments: the one named by -c (exit 2 if it is wrong), else ferry.config.yaml here if it reads. */
function configuredOrder(file: string | undefined, warn: (line: string) => void): ConfiguredOrder | undefined {
  if (!file && !fs.existsSync(DEFAULT_CONFIG)) return undefined;
  try {
    const config = loadConfig(file ?? DEFAULT_CONFIG);
    return { app: config.app, environments: config.environments.map((e) => e.name) };
  } catch (error) {
    if (file) asBadInput(error);
    // Only a guess at the order: without it environments are ordered by their first release.
    warn(`ferry envs: ${DEFAULT_CONFIG} is not used for the order of environments: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** For machines: the ledger's own fields, plus what the table shows. */
function matrixJson(views: EnvironmentView[], now: number) {
  return views.map((view) => {
    const { state, health } = summarize(view, now);
    const ledger = view.answer.kind === 'ledger' ? view.answer.ledger : undefined;
    return {
      app: view.app,
      environment: view.environment,
      lockId: view.lockId,
      state,
      health,
      live: ledger?.releases[0] ?? null,
      lastAttempt: ledger?.lastAttempt ?? null,
      holder: ledger?.holder ?? null,
      queue: ledger?.queue ?? [],
      waitingForApproval: view.waitingForApproval,
      ...(view.answer.kind === 'no-answer' ? { error: view.answer.why } : {}),
    };
  });
}

export async function envs(
  connect: Connect,
  app: string | undefined,
  environment: string | undefined,
  options: { app?: unknown } & Record<string, unknown>,
  print: (text: string) => void,
  warn: (line: string) => void = (line) => console.error(line),
  now = () => Date.now(),
): Promise<ExitCode> {
  if (app !== undefined && options.app !== undefined && app !== options.app) {
    throw new CliExit(ExitCode.BadInput, `bad flags:\n  - <app>: "${app.slice(0, 100)}" and --app "${String(options.app).slice(0, 100)}" name different apps; give one`);
  }
  const flags = parseFlags(envsFlagsSchema, { ...options, app: app ?? options.app, environment }, FLAG_NAMES);
  const configured = configuredOrder(flags.config, warn);
  const { client, close } = await connect();
  try {
    const { views: gathered, cut, waitingUnknown } = await gatherViews(client, flags.app, configured, flags.environment);
    const views = orderViews(gathered, configured);
    if (cut) warn(`ferry envs: more environment locks than it lists; some are left out (name one app with --app)`);
    if (waitingUnknown) warn(`ferry envs: ${waitingUnknown}`);
    if (flags.app && views.length === 0) {
      const apps = [...new Set([...(await knownApps(client)), ...(configured ? [configured.app] : [])])].sort();
      throw new CliExit(ExitCode.Refused, `no environments of app "${flags.app}": ${apps.length > 0 ? `Ferry knows ${apps.join(', ')}` : 'Ferry knows no app yet'}`);
    }
    const at = now();
    if (flags.environment) {
      const code = oneEnvironment(views, flags.app!, flags.environment, flags.output, print, at);
      return waitingUnknown ? ExitCode.Failed : code;
    }

    if (flags.output === 'mermaid') print(fencedMermaid(views, at));
    else print(render(flags.output, matrixJson(views, at), () => (views.length > 0 ? matrixTable(views, at) : 'no environments yet: nothing has been promoted')));
    const unanswered = views.filter((v) => v.answer.kind === 'no-answer');
    for (const view of unanswered) warn(`ferry envs: ${view.app} ${view.environment}: ${view.answer.kind === 'no-answer' ? view.answer.why : ''}`);
    return unanswered.length > 0 || waitingUnknown ? ExitCode.Failed : ExitCode.Done;
  } finally {
    await close();
  }
}

function oneEnvironment(views: EnvironmentView[], app: string, environment: string, output: 'table' | 'json' | 'yaml' | 'mermaid', print: (text: string) => void, now: number): ExitCode {
  const view = views.find((v) => v.environment === environment);
  if (!view) throw new CliExit(ExitCode.Refused, `app "${app}" has no environment "${environment}": it has ${views.map((v) => v.environment).join(', ')}`);
  if (view.answer.kind === 'no-answer') throw new CliExit(ExitCode.Failed, `${app} ${environment}: ${view.answer.why}`);
  const ledger = view.answer.kind === 'ledger' ? view.answer.ledger : { lockId: view.lockId, app, environment, releases: [], queue: [] };
  if (output !== 'table') print(render(output, { ...ledger, waitingForApproval: view.waitingForApproval }, () => ''));
  else {
    print(releasesTable(ledger, now));
    if (view.waitingForApproval.length > 0) print(oneLine(`waiting for approval: ${view.waitingForApproval.join(', ')}`, 400));
  }
  return ExitCode.Done;
}
