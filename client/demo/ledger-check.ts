// The demo's last word: what runs where, as `ferry envs` shows it, and whether each environment's
// ledger says what the promotions did (the release that went live last, the try that did not).
import type { Client } from '@temporalio/client';
import type { EnvironmentState } from '../../common/status';
import { gatherViews } from '../envs/gather';
import { orderViews } from '../envs/order';
import { matrixTable } from '../envs/table';

export interface PromotedRelease {
  name: string;
  sha: string;
  /** How each environment ended for it. */
  ended: Record<string, EnvironmentState>;
}

/** Prints the matrix; returns what the ledgers get wrong about `releases` (in the order promoted), or undefined. */
export async function checkLedgers(client: Client, app: string, environments: string[], releases: PromotedRelease[], log: (line: string) => void): Promise<string | undefined> {
  const configured = { app, environments };
  const { views } = await gatherViews(client, app, configured);
  log(`\n$ ferry envs --app ${app}\n${matrixTable(orderViews(views, configured), Date.now())}`);
  const wrong: string[] = [];
  for (const environment of environments) {
    const view = views.find((v) => v.environment === environment);
    const ledger = view?.answer.kind === 'ledger' ? view.answer.ledger : undefined;
    const live = releases.filter((r) => r.ended[environment] === 'succeeded').at(-1);
    const undone = releases.filter((r) => r.ended[environment] === 'rolled-back').at(-1);
    if (live && ledger?.releases[0]?.sha !== live.sha) wrong.push(`${environment}'s ledger does not name ${live.name} as live`);
    if (undone && ledger?.lastAttempt?.sha !== undone.sha) wrong.push(`${environment}'s ledger does not name ${undone.name} as its last try`);
  }
  return wrong.length > 0 ? wrong.join('; ') : undefined;
}
