// `ferry envs`' outputs from ledger values: the matrix table, one environment's releases, the
// Mermaid chart; and its flags, refused before anything connects.
import { envs } from '../../client/commands/envs';
import { environmentLedgerSchema, locksQuery, parseLockId, waitingQuery } from '../../client/envs/gather';
import { envsMermaid, escapeLabel, fencedMermaid } from '../../client/envs/mermaid';
import { matrixTable, releasesTable } from '../../client/envs/table';
import { CliExit } from '../../client/exit-codes';
import { attempt, hoursAgo, ledger, NOW, release, sha, view } from '../helpers/ledger-fixtures';

const matrix = [
  view({ releases: [release({ sha: sha('c'), artifact: 'shop:ccccccc', wentLiveAt: hoursAgo(0.5) })] }, 'dev'),
  view({ holder: 'ferry-shop-ccccccc', queue: ['ferry-shop-ddddddd'] }, 'production'),
  { ...view({}, 'staging'), answer: { kind: 'no-lock' as const }, waitingForApproval: ['ferry-shop-eeeeeee'] },
];

test('the matrix: a row per environment, in the order given, with version, age, state and who waits for approval', () => {
  expect(matrixTable(matrix, NOW).split('\n')).toEqual([
    'APP   ENVIRONMENT  VERSION               AGE      STATE                                         WAITING FOR APPROVAL',
    'shop  dev          ccccccc shop:ccccccc  30m ago  live',
    'shop  production   aaaaaaa shop:aaaaaaa  3h ago   live; deploying ferry-shop-ccccccc; 1 queued',
    'shop  staging                                     no release yet                                ferry-shop-eeeeeee',
  ]);
});

describe("one environment's releases", () => {
  const rolledBackTo = release({
    sha: sha('a'),
    kind: 'rollback',
    by: 'ferry-rollback-shop-production-1',
    wentLiveAt: hoursAgo(1),
    requestedBy: 'sam',
    approvedBy: [],
    reason: 'orders\nfail',
    emergency: true,
    migrations: ['0001_orders'],
  });
  const promoted = release({
    sha: sha('b'),
    artifact: 'shop:bbbbbbb',
    by: 'ferry-shop-bbbbbbb',
    wentLiveAt: hoursAgo(2),
    requestedBy: 'ci-bot',
    approvedBy: ['olivia', 'sam'],
    migrations: ['0001_orders', '0002_refunds'],
  });

  test('newest first, every column, the live one named above; a release without migration records leaves the column empty', () => {
    const text = releasesTable(ledger({ releases: [rolledBackTo, promoted, release({ wentLiveAt: hoursAgo(50) })] }), NOW);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`shop production: live aaaaaaa shop:aaaaaaa since ${hoursAgo(1)} (1h ago)`);
    expect(lines[1]).toMatch(/^SHA\s+ARTIFACT\s+KIND\s+WENT LIVE\s+BY\s+REQUESTED BY\s+APPROVED BY\s+REASON\s+MIGRATIONS$/);
    expect(lines[2].split(/\s{2,}/)).toEqual(['aaaaaaa', 'shop:aaaaaaa', 'rollback', `${hoursAgo(1)} (1h ago)`, 'ferry-rollback-shop-production-1', 'sam', 'orders fail (emergency)', '1']);
    expect(lines[3].split(/\s{2,}/)).toEqual(['bbbbbbb', 'shop:bbbbbbb', 'promotion', `${hoursAgo(2)} (2h ago)`, 'ferry-shop-bbbbbbb', 'ci-bot', 'olivia, sam', '2']);
    expect(lines[4].split(/\s{2,}/)).toEqual(['aaaaaaa', 'shop:aaaaaaa', 'promotion', `${hoursAgo(50)} (2d ago)`, 'ferry-shop-aaaaaaa']);
    expect(lines).toHaveLength(5);
  });

  test('the holder, the queue and the last failed attempt follow; an environment without releases says so', () => {
    const text = releasesTable(
      ledger({ releases: [], holder: 'ferry-shop-ccccccc', queue: ['ferry-shop-ddddddd'], lastAttempt: attempt({ outcome: 'failed', error: 'undo failed:\npsql exited 3' }) }),
      NOW,
    );
    expect(text.split('\n')).toEqual([
      'shop production: no release yet',
      'deploying: ferry-shop-ccccccc',
      'queued: ferry-shop-ddddddd',
      `last failed attempt: bbbbbbb shop:bbbbbbb (promotion ferry-shop-bbbbbbb) at ${hoursAgo(1)} (1h ago) failed: undo failed: psql exited 3`,
    ]);
  });
});

describe('Mermaid', () => {
  test('an app node, one node per environment in order, labelled with version, state and age, coloured by health; fenced for GitHub', () => {
    const chart = envsMermaid([...matrix, view({}, 'dev', 'api')], NOW);
    expect(chart.split('\n').slice(0, 6)).toEqual([
      'flowchart LR',
      '    app1(["shop"])',
      '    app1 --> env1["dev<br/>ccccccc shop:ccccccc<br/>live #183; 30m ago"]:::live',
      '    app1 --> env2["production<br/>aaaaaaa shop:aaaaaaa<br/>live#59; deploying ferry-shop-ccccccc#59; 1 queued #183; 3h ago"]:::busy',
      '    app1 --> env3["staging<br/>no release yet<br/>waiting for approval: ferry-shop-eeeeeee"]:::empty',
      '    app2(["api"])',
    ]);
    expect(chart).toContain('app2 --> env4["dev<br/>');
    for (const health of ['live', 'busy', 'failed', 'unknown', 'empty']) expect(chart).toMatch(new RegExp(`^    classDef ${health} `, 'm'));
    const fenced = fencedMermaid(matrix, NOW).split('\n');
    expect(fenced[0]).toBe('```mermaid');
    expect(fenced.at(-1)).toBe('```');
  });

  test("a holder's name cannot end its label or start a statement: quotes, brackets, # and ; become entity codes", () => {
    expect(escapeLabel('x"] --> y; click y "https://evil" #')).toBe('x#34;#93; --#62; y#59; click y #34;https://evil#34; #35;');
    const chart = envsMermaid([view({ holder: 'x"]\nclick env1 call alert()' })], NOW);
    expect(chart.split('\n')).toHaveLength(2 + 1 + 5);
    expect(chart).not.toMatch(/x"\]/);
  });
});

describe('the lock IDs and list queries', () => {
  test('only ferry-lock/<app>/<env> with Ferry names is a lock', () => {
    expect(parseLockId('ferry-lock/shop/production')).toEqual({ app: 'shop', environment: 'production' });
    for (const id of ['ferry-lock/shop', 'ferry-lock/shop/production/x', 'lock/shop/production', 'ferry-lock/Shop/production', "ferry-lock/shop/prod'uction", 'ferry-lock//production']) {
      expect(parseLockId(id)).toBeUndefined();
    }
  });

  test('running locks (of one app by their ID prefix); promotions running and waiting at an approval', () => {
    expect(locksQuery()).toBe(`WorkflowType = 'environmentLock' AND ExecutionStatus = 'Running'`);
    expect(locksQuery('shop')).toBe(`WorkflowType = 'environmentLock' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH 'ferry-lock/shop/'`);
    expect(waitingQuery('shop')).toBe(`ExecutionStatus = 'Running' AND FerryState = 'waiting' AND FerryStage = 'approval' AND FerryApp = 'shop'`);
  });

  test("a lock's answer is parsed with bounds: too many releases, a short SHA or megabytes of text are not a ledger", () => {
    expect(environmentLedgerSchema.safeParse(ledger()).success).toBe(true);
    expect(environmentLedgerSchema.safeParse(ledger({ releases: Array.from({ length: 21 }, () => release()) })).success).toBe(false);
    expect(environmentLedgerSchema.safeParse(ledger({ releases: [release({ sha: 'aaaaaaa' })] })).success).toBe(false);
    expect(environmentLedgerSchema.safeParse(ledger({ holder: 'x'.repeat(1_001) })).success).toBe(false);
  });
});

describe('flags, refused before connecting (exit 2, naming the flag)', () => {
  const never = async () => {
    throw new Error('connected to Temporal although the flags were bad');
  };
  async function refusal(app: string | undefined, env: string | undefined, options: Record<string, unknown>): Promise<CliExit> {
    const error = await envs(
      never,
      app,
      env,
      options,
      () => undefined,
      () => undefined,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliExit);
    return error as CliExit;
  }

  test.each([
    [undefined, undefined, { app: 'Shop!' }, '<app>: must be an app name'],
    ['shop', 'Prod uction', {}, '<env>: must be an environment name'],
    [undefined, undefined, { output: 'xml' }, '-o/--output: Invalid option: expected one of "table"|"json"|"yaml"|"mermaid"'],
    [undefined, undefined, { output: 'table', json: true }, '-o/--output: table conflicts with --json'],
    ['shop', 'production', { output: 'mermaid' }, "-o/--output: mermaid draws the matrix of environments; one environment's releases are a table, json or yaml"],
    ['shop', undefined, { app: 'api' }, '<app>: "shop" and --app "api" name different apps; give one'],
    [undefined, undefined, { config: '/nonexistent/ferry.config.yaml' }, '/nonexistent/ferry.config.yaml'],
  ])('%s %s %j', async (app, env, options, message) => {
    const error = await refusal(app, env, options);
    expect(error.code).toBe(2);
    expect(error.message).toContain(message);
  });
});
