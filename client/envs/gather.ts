// Where `ferry envs` learns what runs where: each environment's lock (one running workflow per
// app and environment) answers its ledger by query; the promotions waiting for an approval are
// found by their search attributes. Reads only: nothing here changes a workflow.
import type { Client } from '@temporalio/client';
import { environmentLedgerSchema, ledgerQuery } from '../../common/ledger';
import { lockWorkflowId } from '../../common/plan';
import { SearchAttr } from '../../common/search-attributes';
import { briefly } from '../transient';
import type { EnvironmentView, LedgerAnswer } from './summary';

/** A worker that is gone must not hang the command: each ledger query gives up after this. */
export const LEDGER_QUERY_DEADLINE_MS = 10_000;
/** Queries in flight at once: a namespace with hundreds of environments is asked in batches. */
const CONCURRENT_QUERIES = 8;
/** Far above any real number of apps × environments; listing stops there rather than run on. */
export const LOCKS_LISTED_MAX = 5_000;
const WAITING_LISTED_MAX = 1_000;

const ferryName = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** The lock's answer is a boundary too: whatever runs on that task queue answered it. */
export { environmentLedgerSchema };

/** The app and environment of a lock's workflow ID (`ferry-lock/<app>/<env>`), or undefined for anything else. */
export function parseLockId(workflowId: string): { app: string; environment: string } | undefined {
  const [prefix, app, environment, ...rest] = workflowId.split('/');
  if (prefix !== 'ferry-lock' || rest.length > 0 || !ferryName.test(app ?? '') || !ferryName.test(environment ?? '')) return undefined;
  return { app, environment };
}

/** The running locks, of one app or all; the app name is checked by the flags, so quoting it is enough. */
export function locksQuery(app?: string): string {
  const clauses = [`WorkflowType = 'environmentLock'`, `ExecutionStatus = 'Running'`];
  if (app) clauses.push(`WorkflowId STARTS_WITH '${lockWorkflowId(app, '')}'`);
  return clauses.join(' AND ');
}

/** Running promotions (or rollbacks) that wait at an environment's approval. */
export function waitingQuery(app?: string): string {
  const clauses = [`ExecutionStatus = 'Running'`, `${SearchAttr.state.name} = 'waiting'`, `${SearchAttr.stage.name} = 'approval'`];
  if (app) clauses.push(`${SearchAttr.app.name} = '${app}'`);
  return clauses.join(' AND ');
}

async function askLedger(client: Client, lockId: string): Promise<LedgerAnswer> {
  try {
    const raw = await client.withDeadline(Date.now() + LEDGER_QUERY_DEADLINE_MS, () => client.workflow.getHandle(lockId).query(ledgerQuery));
    const parsed = environmentLedgerSchema.safeParse(raw);
    if (!parsed.success) return { kind: 'no-answer', why: `${lockId} answered something that is not a ledger (${parsed.error.issues[0]?.message})` };
    return { kind: 'ledger', ledger: parsed.data };
  } catch (error) {
    return { kind: 'no-answer', why: `no worker answered ${lockId}'s ledger query (${briefly(error)})` };
  }
}

async function mapInBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

/** Promotion IDs waiting for approval, by `<app>/<env>`. */
async function waitingForApproval(client: Client, app?: string): Promise<Map<string, string[]>> {
  const waiting = new Map<string, string[]>();
  let listed = 0;
  for await (const execution of client.workflow.list({ query: waitingQuery(app) })) {
    const attr = execution.typedSearchAttributes;
    const key = `${attr.get(SearchAttr.app)}/${attr.get(SearchAttr.environment)}`;
    waiting.set(key, [...(waiting.get(key) ?? []), execution.workflowId]);
    if (++listed >= WAITING_LISTED_MAX) break;
  }
  return waiting;
}

export interface Gathered {
  views: EnvironmentView[];
  /** True when there were more locks than LOCKS_LISTED_MAX: the list is not complete. */
  cut: boolean;
  /** Why the promotions waiting for approval are not shown, when they could not be listed. */
  waitingUnknown?: string;
}

/**
 * Every running lock (of `app`, when given) with its ledger, plus the environments `configured`
 * names and those a promotion waits for that have none (nothing promoted there yet). Unordered.
 */
export async function gatherViews(client: Client, app?: string, configured?: { app: string; environments: string[] }, only?: string): Promise<Gathered> {
  const locks: { app: string; environment: string; lockId: string }[] = [];
  let cut = false;
  for await (const execution of client.workflow.list({ query: locksQuery(app) })) {
    const named = parseLockId(execution.workflowId);
    if (!named || (app && named.app !== app)) continue;
    if (locks.length >= LOCKS_LISTED_MAX) {
      cut = true;
      break;
    }
    locks.push({ ...named, lockId: execution.workflowId });
  }
  // With `only`, the other environments are listed (an unknown one's error names them) but not asked: their workers may be gone.
  const ask = (lock: { environment: string; lockId: string }): Promise<LedgerAnswer> =>
    !only || lock.environment === only ? askLedger(client, lock.lockId) : Promise.resolve({ kind: 'no-answer', why: 'not asked' });
  let waitingUnknown: string | undefined;
  // A namespace without Ferry's search attributes cannot be asked who waits; what runs where is still worth showing.
  const listingWaiting = waitingForApproval(client, app).catch((error: unknown) => {
    waitingUnknown = `the promotions waiting for approval could not be listed by their search attributes (${briefly(error)})`;
    return new Map<string, string[]>();
  });
  const [answers, waiting] = await Promise.all([mapInBatches(locks, CONCURRENT_QUERIES, ask), listingWaiting]);
  const views: EnvironmentView[] = locks.map((lock, i) => ({ ...lock, answer: answers[i], waitingForApproval: waiting.get(`${lock.app}/${lock.environment}`) ?? [] }));
  const known = (a: string, environment: string) => views.some((v) => v.app === a && v.environment === environment);
  const withoutLock = (a: string, environment: string) => {
    if (known(a, environment)) return;
    const wait = waiting.get(`${a}/${environment}`) ?? [];
    views.push({ app: a, environment, lockId: lockWorkflowId(a, environment), answer: { kind: 'no-lock' }, waitingForApproval: wait });
  };
  // A first promotion waits for approval before its lock exists; the config names environments not promoted yet.
  for (const key of waiting.keys()) {
    const [a, environment] = key.split('/');
    if (ferryName.test(a) && ferryName.test(environment ?? '') && (!app || a === app)) withoutLock(a, environment);
  }
  if (configured && (!app || configured.app === app)) for (const environment of configured.environments) withoutLock(configured.app, environment);
  return { views, cut, waitingUnknown };
}

/** The apps that have a running lock: what an unknown app's error names. */
export async function knownApps(client: Client): Promise<string[]> {
  const apps = new Set<string>();
  let listed = 0;
  for await (const execution of client.workflow.list({ query: locksQuery() })) {
    const named = parseLockId(execution.workflowId);
    if (named) apps.add(named.app);
    if (++listed >= LOCKS_LISTED_MAX) break;
  }
  return [...apps].sort();
}
