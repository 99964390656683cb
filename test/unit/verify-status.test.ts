// How the verify and prepare steps read in the status views: the Web UI's current details and `ferry status`.
import { statusTable } from '../../client/status-table';
import { stageMarkdown } from '../../common/progress-markdown';
import type { EnvironmentStatus, PromotionStatus } from '../../common/status';

const TAIL = 'verify e2e failed with exit code 1 against shop:abcdef1 in staging: last lines:\nPOST /orders -> 500\nexpected 201';

const staging = (overrides: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({
  name: 'staging',
  state: 'rolled-back',
  steps: [
    { name: 'prepare', state: 'succeeded', attempts: 1 },
    { name: 'canary', state: 'succeeded', attempts: 1, detail: 'promoted through 25 → 100%' },
    { name: 'verify', state: 'failed', attempts: 2, detail: 'smoke passed in 2s; running e2e', error: TAIL },
    { name: 'rollback', state: 'succeeded', attempts: 1, detail: 'done' },
  ],
  error: TAIL,
  ...overrides,
});

test('current details: the verify step with its latest round, the failure with its output on one line', () => {
  expect(stageMarkdown(staging())).toBe(
    '- **staging**: rolled-back — ✓ prepare → ✓ canary (promoted through 25 → 100%) → ✗ verify (smoke passed in 2s; running e2e) → ✓ rollback (done)\n' +
      '  - verify e2e failed with exit code 1 against shop:abcdef1 in staging: last lines: POST /orders -\\> 500 expected 201',
  );
  const running = staging({ state: 'running', error: undefined, steps: [{ name: 'verify', state: 'running', attempts: 1, detail: 'canary at 25%: running smoke' }] });
  expect(stageMarkdown(running)).toBe('- **staging**: running — ▶ verify (canary at 25%: running smoke)');
});

test('ferry status: a failed verify keeps its row on one line, and the whole output is printed below the table', () => {
  const status: PromotionStatus = {
    workflowId: 'ferry-shop-abcdef1',
    app: 'shop',
    ref: 'main',
    sha: 'abcdef1234',
    artifact: 'shop:abcdef1',
    state: 'failed',
    startedAt: '2025-01-01T00:00:00.000Z',
    steps: [],
    environments: [staging()],
    ignored: [],
    ignoredCount: 0,
    error: `staging: rolled-back: ${TAIL}`,
  };
  const lines = statusTable(status, Date.parse('2025-01-01T00:10:00.000Z')).split('\n');
  const rows = lines.slice(1, 1 + 1 + 1 + staging().steps.length);
  expect(
    rows.map((row) =>
      row
        .trim()
        .split(/\s{2,}/)
        .slice(0, 2),
    ),
  ).toEqual([
    ['ENVIRONMENT', 'STEP'],
    ['staging', 'rolled-back'],
    ['prepare', 'succeeded'],
    ['canary', 'succeeded'],
    ['verify', 'failed'],
    ['rollback', 'succeeded'],
  ]);
  expect(rows[4]).toMatch(/verify\s+failed\s+verify e2e failed with exit code 1 against shop:abcdef1 in staging: last lines: …$/);
  expect(lines.slice(1 + rows.length).join('\n')).toBe(`error: staging: rolled-back: ${TAIL}`);
});
