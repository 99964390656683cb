// Temporal evaluates the workflow bundle's modules once per workflow, so what they evaluate at
// load time is paid by every cached workflow (bench/workflow-footprint). zod and the message
// schemas are for messages: a workflow evaluates them when one has to be parsed, not before.

/** Runs `steps` in a module registry of its own, where `zodLoads()` counts evaluations of zod. */
function withCountedZod(steps: (zodLoads: () => number) => void): void {
  let loads = 0;
  jest.isolateModules(() => {
    jest.doMock('zod', () => {
      loads++;
      return jest.requireActual('zod');
    });
    steps(() => loads);
  });
}

afterEach(() => jest.dontMock('zod'));

test('loading every workflow evaluates no zod', () => {
  withCountedZod((zodLoads) => {
    require('../../workflows');
    expect(zodLoads()).toBe(0);
  });
});

test('a message to parse evaluates zod then, and its schema answers as before', () => {
  withCountedZod((zodLoads) => {
    const messages = require('../../common/messages') as typeof import('../../common/messages');
    expect(zodLoads()).toBe(0);
    expect(messages.approvePayloadSchema.safeParse({ environment: 'production', approver: ' ' }).error?.issues.map((i) => i.message)).toEqual(['must name a person']);
    expect(zodLoads()).toBe(1);
  });
});

test('the ledger schemas too: zod on first use only', () => {
  withCountedZod((zodLoads) => {
    const ledger = require('../../common/ledger') as typeof import('../../common/ledger');
    expect(zodLoads()).toBe(0);
    expect(ledger.releaseRecordSchema.safeParse({ outcome: 'live', release: { sha: 'abc' } }).success).toBe(false);
    expect(zodLoads()).toBe(1);
  });
});
