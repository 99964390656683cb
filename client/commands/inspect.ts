// `ferry status` and `ferry list`: what runs, read from queries and search attributes.
import type { Client } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { SearchAttr } from '../../common/search-attributes';
import { ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { liveStatus } from '../live-status';
import { formatTable, isFinished, isSuccess, statusTable } from '../status-table';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const statusFlags = z.object({ watch: z.boolean().default(false), json: z.boolean().default(false) });

export async function status(connect: Connect, workflowId: string, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(statusFlags, options);
  const { client, close } = await connect();
  try {
    for (;;) {
      const current = await liveStatus(client, workflowId);
      print(flags.json ? JSON.stringify(current, null, 2) : statusTable(current));
      if (!flags.watch || isFinished(current)) return isFinished(current) && !isSuccess(current) ? ExitCode.Failed : ExitCode.Done;
      await delay(2_000);
      if (!flags.json) print('');
    }
  } finally {
    await close();
  }
}

const STATES = ['running', 'waiting', 'succeeded', 'failed', 'rejected', 'aborted'] as const;
const listFlags = z.object({
  app: z.string().regex(/^[a-z0-9-]+$/, 'must be an app name (lowercase letters, digits, dashes)').optional(),
  state: z.enum(STATES).optional(),
  limit: z.coerce.number().int().positive().default(50),
  json: z.boolean().default(false),
});

/** The list filter; values are validated above, so quoting them is enough. */
export function listQuery(flags: { app?: string; state?: string }): string {
  const clauses = [`WorkflowType = 'promotion'`];
  if (flags.app) clauses.push(`${SearchAttr.app.name} = '${flags.app}'`);
  if (flags.state) clauses.push(`${SearchAttr.state.name} = '${flags.state}'`);
  return clauses.join(' AND ');
}

export async function list(connect: Connect, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(listFlags, options);
  const { client, close } = await connect();
  try {
    const rows = [];
    for await (const execution of client.workflow.list({ query: listQuery(flags) })) {
      const attr = execution.typedSearchAttributes;
      rows.push({
        workflowId: execution.workflowId,
        app: attr.get(SearchAttr.app) ?? '',
        commit: (attr.get(SearchAttr.commit) ?? '').slice(0, 7),
        state: attr.get(SearchAttr.state) ?? execution.status.name.toLowerCase(),
        stage: attr.get(SearchAttr.stage) ?? '',
        environment: attr.get(SearchAttr.environment) ?? '',
        startedAt: execution.startTime.toISOString(),
      });
      if (rows.length >= flags.limit) break;
    }
    if (flags.json) print(JSON.stringify(rows, null, 2));
    else {
      print(formatTable([['ID', 'APP', 'COMMIT', 'STATE', 'ENVIRONMENT', 'STAGE', 'STARTED'], ...rows.map((r) => [r.workflowId, r.app, r.commit, r.state, r.environment, r.stage, r.startedAt])]));
    }
    return ExitCode.Done;
  } finally {
    await close();
  }
}
