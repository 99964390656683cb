import { codeSpan, escapeMarkdown, progressMarkdown, REFUSALS_SHOWN, stageMarkdown } from '../../common/progress-markdown';
import type { EnvironmentStatus, IgnoredMessage, PromotionStatus, StepState, StepStatus } from '../../common/status';

// The Web UI shows this markdown as a promotion's current details. Names, reasons, details and
// errors come from whoever sent a signal or wrote a commit: each must reach the reader as text.

const step = (name: StepStatus['name'], state: StepState, detail?: string): StepStatus => ({ name, state, attempts: 1, ...(detail === undefined ? {} : { detail }) });

function promotion(overrides: Partial<PromotionStatus> = {}): PromotionStatus {
  return {
    workflowId: 'ferry/shop/abcdef1',
    app: 'shop',
    ref: 'main',
    sha: 'abcdef1234567890abcdef1234567890abcdef12',
    artifact: 'shop:abcdef1',
    state: 'running',
    startedAt: '2025-03-01T09:00:00.000Z',
    steps: [step('resolve', 'succeeded'), step('build', 'running')],
    environments: [],
    ignored: [],
    ignoredCount: 0,
    ...overrides,
  };
}

const HEADER = '**shop** `abcdef1` (main) → **running**';
const RELEASE = '- release: ✓ resolve → ▶ build';

const DEADLINE = '2025-03-03T09:00:00.000Z';

function production(overrides: Partial<EnvironmentStatus> = {}, received: { approver: string; decision: 'approve' | 'reject' }[] = [], approvers?: string[], required = 2): EnvironmentStatus {
  return {
    name: 'production',
    state: 'waiting',
    steps: [step('approval', 'waiting')],
    approval: {
      required,
      ...(approvers ? { approvers } : {}),
      received: received.map((r) => ({ ...r, at: '2025-03-01T10:00:00.000Z', via: 'signal' as const })),
      deadline: DEADLINE,
    },
    ...overrides,
  };
}

const refused = (n: number, overrides: Partial<IgnoredMessage> = {}): IgnoredMessage => ({
  name: 'approve',
  at: `2025-03-01T10:00:${String(n).padStart(2, '0')}.000Z`,
  reason: `refusal ${n}`,
  ...overrides,
});

describe('escapeMarkdown', () => {
  test('a link, backticks, a heading, HTML and emphasis come out as text', () => {
    expect(escapeMarkdown('[click](http://x)')).toBe('\\[click\\]\\(http://x\\)');
    expect(escapeMarkdown('`rm -rf /`')).toBe('\\`rm -rf /\\`');
    expect(escapeMarkdown('# Approved')).toBe('\\# Approved');
    expect(escapeMarkdown('<b>bold</b>')).toBe('\\<b\\>bold\\</b\\>');
    expect(escapeMarkdown('*a* _b_ ~c~ !d +e |f| {g} \\h')).toBe('\\*a\\* \\_b\\_ \\~c\\~ \\!d \\+e \\|f\\| \\{g\\} \\\\h');
  });

  test('newlines and runs of white space fold into one space, so no text starts a line of its own', () => {
    expect(escapeMarkdown('first\n\n# second\r\n\t- third')).toBe('first \\# second - third');
  });

  test('plain text is left alone', () => {
    expect(escapeMarkdown('olivia approves, 2.5 hours late')).toBe('olivia approves, 2.5 hours late');
  });
});

describe('codeSpan', () => {
  // CommonMark: backslash escapes do not work in a code span, and a run of backticks ends only at a run as long.
  test('text without backticks: one backtick each side, nothing escaped, white space folded', () => {
    expect(codeSpan('lock_granted [x](y) <b>')).toBe('`lock_granted [x](y) <b>`');
    expect(codeSpan('a\n\n b')).toBe('`a b`');
  });

  test('a fence one longer than the longest run of backticks inside', () => {
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('a``b`c')).toBe('```a``b`c```');
  });

  test('a backtick at either end is kept apart from the fence by a space', () => {
    expect(codeSpan('`a')).toBe('`` `a ``');
    expect(codeSpan('a`')).toBe('`` a` ``');
  });
});

describe('steps', () => {
  test('every step state has its own icon', () => {
    const states: StepState[] = ['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'];
    const markdown = progressMarkdown(promotion({ steps: states.map((state) => step('deploy', state)) }));
    expect(markdown.split('\n')[2]).toBe('- release: · deploy → ▶ deploy → ⏸ deploy → ✓ deploy → ✗ deploy → – deploy → ⊘ deploy');
  });

  test("a step's detail is shown in brackets, escaped", () => {
    const markdown = progressMarkdown(promotion({ steps: [step('build', 'failed', '[click](http://x)\n# Heading `code` <b>x</b>'), step('test', 'pending', '')] }));
    expect(markdown.split('\n')[2]).toBe('- release: ✗ build (\\[click\\]\\(http://x\\) \\# Heading \\`code\\` \\<b\\>x\\</b\\>) → · test');
  });

  test('a stage: its name, state and steps, and its error on a line below, escaped', () => {
    const env: EnvironmentStatus = {
      name: 'staging',
      state: 'rolled-back',
      steps: [step('deploy', 'succeeded'), step('canary', 'failed', 'error rate 5%'), step('rollback', 'succeeded')],
      error: 'canary failed:\n[see](http://evil)',
    };
    expect(stageMarkdown(env)).toBe('- **staging**: rolled-back — ✓ deploy → ✗ canary (error rate 5%) → ✓ rollback\n  - canary failed: \\[see\\]\\(http://evil\\)');
  });

  test('a stage that has no steps yet shows its state alone', () => {
    expect(stageMarkdown({ name: 'dev', state: 'pending', steps: [] })).toBe('- **dev**: pending');
  });
});

describe('the first lines', () => {
  test('without a commit: the headline, one blank line, then the steps', () => {
    expect(progressMarkdown(promotion())).toBe([HEADER, '', RELEASE].join('\n'));
  });

  test('with a commit: its subject and author under the headline, escaped', () => {
    const commit = { sha: 'abcdef1', authorName: 'Mallory <m@x>', authorEmail: 'm@x', subject: 'fix: *urgent*\n# merge me' };
    expect(progressMarkdown(promotion({ commit, ref: 'feature/[x]' }))).toBe(
      ['**shop** `abcdef1` (feature/\\[x\\]) → **running**', '_fix: \\*urgent\\* \\# merge me_ — Mallory \\<m@x\\>', '', RELEASE].join('\n'),
    );
  });

  test('the blank line after the headline stays even when the steps are empty', () => {
    expect(progressMarkdown(promotion({ steps: [] }))).toBe([HEADER, '', '- release: '].join('\n'));
  });
});

describe('the approval being waited on', () => {
  const waitingLines = (count: string, approvedBy: string, mayApprove: string) => [
    '',
    `Waiting for approval of **production** (${count}) until ${DEADLINE}.`,
    `Approved by: ${approvedBy}. May approve: ${mayApprove}.`,
    'Send signal `approve` with `{"environment": "production", "approver": "<you>"}`.',
  ];

  test('nobody yet, and anyone who may signal the workflow when the config names no approvers', () => {
    const markdown = progressMarkdown(promotion({ environments: [production()] }));
    expect(markdown).toBe([HEADER, '', RELEASE, '- **production**: waiting — ⏸ approval', ...waitingLines('0/2', 'nobody yet', 'anyone who may signal this workflow')].join('\n'));
  });

  test('an empty approvers list is no list either', () => {
    const markdown = progressMarkdown(promotion({ environments: [production({}, [], [])] }));
    expect(markdown).toContain('May approve: anyone who may signal this workflow.');
  });

  test('who approved and who may, escaped; a rejection does not count towards the quorum', () => {
    const env = production(
      {},
      [
        { approver: 'olivia_b', decision: 'approve' },
        { approver: 'sam', decision: 'reject' },
      ],
      ['olivia_b', 'sam', '[boss](http://x)'],
    );
    const markdown = progressMarkdown(promotion({ environments: [env] }));
    expect(markdown.split('\n').slice(4)).toEqual(waitingLines('1/2', 'olivia\\_b', 'olivia\\_b, sam, \\[boss\\]\\(http://x\\)'));
  });

  test('a quorum exactly met still reads as counted: 1/1 and 2/2', () => {
    const one = progressMarkdown(promotion({ environments: [production({}, [{ approver: 'olivia', decision: 'approve' }], ['olivia'], 1)] }));
    expect(one).toContain('Waiting for approval of **production** (1/1) until');
    expect(one).toContain('Approved by: olivia. May approve: olivia.');
    const two = progressMarkdown(
      promotion({
        environments: [
          production(
            {},
            [
              { approver: 'olivia', decision: 'approve' },
              { approver: 'sam', decision: 'approve' },
            ],
            ['olivia', 'sam'],
            2,
          ),
        ],
      }),
    );
    expect(two).toContain('(2/2)');
    expect(two).toContain('Approved by: olivia, sam. May approve: olivia, sam.');
  });

  test('without a deadline the sentence ends at the count', () => {
    const env = production();
    delete env.approval!.deadline;
    expect(progressMarkdown(promotion({ environments: [env] }))).toContain('Waiting for approval of **production** (0/2).\n');
  });

  test('shown while the approval waits, whatever other steps the stage lists', () => {
    const env = production({ steps: [step('approval', 'waiting'), step('lock', 'pending')] });
    expect(progressMarkdown(promotion({ environments: [env] }))).toContain('Waiting for approval of **production** (0/2)');
  });

  test('not shown once approved, while the stage waits for its lock', () => {
    const env = production({ steps: [step('approval', 'succeeded'), step('lock', 'waiting')] }, [
      { approver: 'olivia', decision: 'approve' },
      { approver: 'sam', decision: 'approve' },
    ]);
    expect(progressMarkdown(promotion({ environments: [env] }))).toBe([HEADER, '', RELEASE, '- **production**: waiting — ✓ approval → ⏸ lock'].join('\n'));
  });

  test('not shown for a stage without an approval record, whatever its steps say', () => {
    const env: EnvironmentStatus = { name: 'staging', state: 'waiting', steps: [step('approval', 'waiting')] };
    expect(progressMarkdown(promotion({ environments: [env] }))).not.toContain('Waiting for approval');
  });

  test('the stage that waits is the one named, not the first with an approval record', () => {
    const staging = production({ name: 'staging', state: 'succeeded', steps: [step('approval', 'succeeded')] });
    const markdown = progressMarkdown(promotion({ environments: [staging, production()] }));
    expect(markdown).toContain('Waiting for approval of **production** (0/2)');
    expect(markdown).not.toContain('approval of **staging**');
  });
});

describe('refused signals', () => {
  test('none: no section', () => {
    expect(progressMarkdown(promotion())).not.toContain('Refused');
  });

  test('one, from a named sender, escaped', () => {
    const markdown = progressMarkdown(promotion({ ignored: [refused(1, { from: '[olivia](http://x)', reason: 'approver: not allowed\n# to approve' })], ignoredCount: 1 }));
    expect(markdown).toBe(
      [HEADER, '', RELEASE, '', '**Refused signals** (latest 1):', '', '- `approve` from \\[olivia\\]\\(http://x\\) at 2025-03-01T10:00:01.000Z: approver: not allowed \\# to approve'].join('\n'),
    );
  });

  test('the sender is left out when the payload named nobody', () => {
    const markdown = progressMarkdown(promotion({ ignored: [refused(1, { name: 'nonsense' })], ignoredCount: 1 }));
    expect(markdown.split('\n').at(-1)).toBe('- `nonsense` at 2025-03-01T10:00:01.000Z: refusal 1');
  });

  test('a signal name is shown as code, as it was sent: no backslashes inside, a backtick cannot end the code early', () => {
    const markdown = progressMarkdown(promotion({ ignored: [refused(1, { name: 'lock_granted' }), refused(2, { name: 'a`b\n[x](y)' }), refused(3, { name: '`edge`' })], ignoredCount: 3 }));
    expect(markdown.split('\n').slice(-3)).toEqual([
      '- `lock_granted` at 2025-03-01T10:00:01.000Z: refusal 1',
      '- ``a`b [x](y)`` at 2025-03-01T10:00:02.000Z: refusal 2',
      '- `` `edge` `` at 2025-03-01T10:00:03.000Z: refusal 3',
    ]);
  });

  test(`exactly ${REFUSALS_SHOWN}: all of them, nothing said of earlier ones`, () => {
    const ignored = Array.from({ length: REFUSALS_SHOWN }, (_, i) => refused(i + 1));
    const lines = progressMarkdown(promotion({ ignored, ignoredCount: REFUSALS_SHOWN })).split('\n');
    expect(lines.slice(3)).toEqual(['', `**Refused signals** (latest ${REFUSALS_SHOWN}):`, '', ...ignored.map((r) => `- \`approve\` at ${r.at}: ${r.reason}`)]);
  });

  test('more than shown: the latest, newest last, and how many came earlier, counting those the status no longer keeps', () => {
    const ignored = Array.from({ length: 20 }, (_, i) => refused(i + 1));
    const lines = progressMarkdown(promotion({ ignored, ignoredCount: 27 })).split('\n');
    expect(lines.slice(3)).toEqual([
      '',
      `**Refused signals** (latest ${REFUSALS_SHOWN}; 22 earlier):`,
      '',
      ...[16, 17, 18, 19, 20].map((n) => `- \`approve\` at 2025-03-01T10:00:${n}.000Z: refusal ${n}`),
    ]);
  });

  test('one more than shown: 1 earlier', () => {
    const ignored = Array.from({ length: REFUSALS_SHOWN + 1 }, (_, i) => refused(i + 1));
    const lines = progressMarkdown(promotion({ ignored, ignoredCount: REFUSALS_SHOWN + 1 })).split('\n');
    expect(lines[4]).toBe(`**Refused signals** (latest ${REFUSALS_SHOWN}; 1 earlier):`);
    expect(lines[5]).toBe('');
    expect(lines[6]).toBe('- `approve` at 2025-03-01T10:00:02.000Z: refusal 2');
  });
});

describe('the error', () => {
  test('its own line at the end, after the refusals, escaped', () => {
    const markdown = progressMarkdown(promotion({ state: 'failed', error: 'build failed:\n<img src=x> [retry](http://x)', ignored: [refused(1)], ignoredCount: 1 }));
    expect(markdown).toBe(
      [
        '**shop** `abcdef1` (main) → **failed**',
        '',
        RELEASE,
        '',
        '**Refused signals** (latest 1):',
        '',
        '- `approve` at 2025-03-01T10:00:01.000Z: refusal 1',
        '',
        '**Error:** build failed: \\<img src=x\\> \\[retry\\]\\(http://x\\)',
      ].join('\n'),
    );
  });
});

test('everything at once, in order: headline, commit, steps, stages, approval, refusals, error', () => {
  const status = promotion({
    commit: { sha: 'abcdef1', authorName: 'Ada', authorEmail: 'ada@x', subject: 'Add checkout' },
    steps: [step('resolve', 'succeeded'), step('build', 'succeeded'), step('test', 'succeeded')],
    environments: [
      { name: 'dev', state: 'succeeded', steps: [step('deploy', 'succeeded')] },
      { ...production({}, [{ approver: 'olivia', decision: 'approve' }], ['olivia', 'sam']), error: 'last try: timeout' },
    ],
    state: 'waiting',
    ignored: [refused(1, { from: 'mallory' })],
    ignoredCount: 1,
    error: 'none really',
  });
  expect(progressMarkdown(status)).toBe(
    [
      '**shop** `abcdef1` (main) → **waiting**',
      '_Add checkout_ — Ada',
      '',
      '- release: ✓ resolve → ✓ build → ✓ test',
      '- **dev**: succeeded — ✓ deploy',
      '- **production**: waiting — ⏸ approval',
      '  - last try: timeout',
      '',
      `Waiting for approval of **production** (1/2) until ${DEADLINE}.`,
      'Approved by: olivia. May approve: olivia, sam.',
      'Send signal `approve` with `{"environment": "production", "approver": "<you>"}`.',
      '',
      '**Refused signals** (latest 1):',
      '',
      '- `approve` from mallory at 2025-03-01T10:00:01.000Z: refusal 1',
      '',
      '**Error:** none really',
    ].join('\n'),
  );
});
