// Ledger values for tests of what reads them (`ferry envs`): a release, a try that did not go live, a view.
import type { EnvironmentLedger, LedgerAttempt, LedgerRelease } from '../../common/ledger';
import type { EnvironmentView } from '../../client/envs/summary';

export const NOW = Date.parse('2026-11-30T12:00:00.000Z');
export const sha = (digit: string) => digit.repeat(40);
export const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000).toISOString();

export const release = (over: Partial<LedgerRelease> = {}): LedgerRelease => ({
  sha: sha('a'),
  ref: 'main',
  artifact: 'shop:aaaaaaa',
  wentLiveAt: hoursAgo(3),
  by: 'ferry-shop-aaaaaaa',
  kind: 'promotion',
  approvedBy: [],
  ...over,
});

export const attempt = (over: Partial<LedgerAttempt> = {}): LedgerAttempt => ({
  sha: sha('b'),
  artifact: 'shop:bbbbbbb',
  at: hoursAgo(1),
  by: 'ferry-shop-bbbbbbb',
  kind: 'promotion',
  outcome: 'rolled-back',
  ...over,
});

export const ledger = (over: Partial<EnvironmentLedger> = {}, environment = 'production', app = 'shop'): EnvironmentLedger => ({
  lockId: `ferry-lock/${app}/${environment}`,
  app,
  environment,
  releases: [release()],
  queue: [],
  ...over,
});

export const view = (over: Partial<EnvironmentLedger> = {}, environment = 'production', app = 'shop'): EnvironmentView => ({
  app,
  environment,
  lockId: `ferry-lock/${app}/${environment}`,
  answer: { kind: 'ledger', ledger: ledger(over, environment, app) },
  waitingForApproval: [],
});
