// `ferry unlock`'s flags and its choice of holder, before anything reaches Temporal.
import type { LockState } from '../../common/messages';
import { chooseHolder, describeLock, unlock, unlockFlagsSchema, type Prompt } from '../../client/commands/unlock';
import { CliExit } from '../../client/exit-codes';

const never = async () => {
  throw new Error('connected to Temporal although the flags were bad');
};

async function refusal(run: () => Promise<unknown>): Promise<CliExit> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliExit);
  return error as CliExit;
}

const state: LockState = {
  lockId: 'ferry-lock/shop/production',
  holder: 'ferry-shop-1111111',
  since: '2025-01-01T00:00:00.000Z',
  queue: ['ferry-shop-2222222'],
  passedOn: [],
  ignored: [],
  ignoredCount: 0,
};
const flags = unlockFlagsSchema.parse({ app: 'shop', env: 'production', as: 'sre', reason: 'holder terminated' });
const prompt = (interactive: boolean, answer = ''): Prompt & { asked: string[] } => {
  const asked: string[] = [];
  return { interactive, asked, ask: async (q) => (asked.push(q), answer) };
};

test('bad flags exit 2 naming each flag, before connecting', async () => {
  const bad = await refusal(() => unlock(never, 'Shop!', '', { as: ' ', reason: '', holder: 'x'.repeat(301) }, () => undefined));
  expect(bad.code).toBe(2);
  expect(bad.message).toContain('<app>: must be an app name');
  expect(bad.message).toContain('<env>: must name an environment');
  expect(bad.message).toContain('--as: must name a person');
  expect(bad.message).toContain('--reason: must say why');
  expect(bad.message).toContain('--holder: must be at most 300 characters');
});

test('without a terminal, the holder must be named or --yes given; stdin is never read', async () => {
  const noTerminal = prompt(false, 'y');
  const error = await refusal(() => chooseHolder(flags, state, noTerminal));
  expect(error.code).toBe(2);
  expect(error.message).toMatch(/^--holder or --yes: stdin is not a terminal.*--holder ferry-shop-1111111/);
  expect(noTerminal.asked).toEqual([]);
  expect(await chooseHolder({ ...flags, yes: true }, state, noTerminal)).toBe('ferry-shop-1111111');
  // A named holder is sent as named: the lock's validator, not the CLI, decides whether it still holds.
  expect(await chooseHolder({ ...flags, holder: 'ferry-shop-9999999' }, state, noTerminal)).toBe('ferry-shop-9999999');
});

test('at a terminal, the operator is asked and only "y" or "yes" takes the lock', async () => {
  const yes = prompt(true, 'yes');
  expect(await chooseHolder(flags, state, yes)).toBe('ferry-shop-1111111');
  expect(yes.asked).toEqual(['take production of shop from ferry-shop-1111111? [y/N] ']);
  expect(await chooseHolder(flags, state, prompt(true, ''))).toBeUndefined();
  expect(await chooseHolder(flags, state, prompt(true, 'no'))).toBeUndefined();
});

test('the lock is shown with its holder, since when, its queue and how it last passed on', () => {
  const text = describeLock(
    {
      ...state,
      passedOn: [{ at: '2025-01-01T00:30:00.000Z', holder: 'ferry-shop-0000000', why: 'its holder was terminated' }],
      ignoredCount: 2,
      ignored: [{ name: 'lockGranted', at: '2025-01-01T00:10:00.000Z', reason: 'not from the lock' }],
    },
    Date.parse('2025-01-01T03:12:00.000Z'),
  );
  expect(text.split('\n')).toEqual([
    'ferry-lock/shop/production',
    '  held by ferry-shop-1111111 since 2025-01-01T00:00:00.000Z (3h12m)',
    '  queue: ferry-shop-2222222',
    '  passed on at 2025-01-01T00:30:00.000Z from ferry-shop-0000000: its holder was terminated',
    '  refused messages: 2 (latest: lockGranted — not from the lock)',
  ]);
});
