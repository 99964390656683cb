import { temporal } from '@temporalio/proto';
import fs from 'node:fs';
import path from 'node:path';
import { escapeText, mermaidOf } from '../../client/history/mermaid';
import { timelineOf, type TimelineEntry } from '../../client/history/timeline';
import { HISTORIES_DIR } from '../helpers/histories';

// Mermaid itself needs a DOM and pulls in d3 and more, too much to add for one test; these are
// the rules its gantt grammar reads a chart by (packages/mermaid/src/diagrams/gantt/parser/gantt.jison).

const TAG = '(?:crit|done|active|milestone)';
const TASK = new RegExp(`^    (?<name>.+?) :(?<tags>${TAG}(?:, ${TAG})*), (?<id>t\\d+), (?<start>\\d+), (?<end>\\d+)$`);
/** Words that start a statement, and so may not start a task's name. */
const KEYWORD = /^(?:gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|todaymarker|weekday|weekend|title|section|click|call|href|acc\w+)\b|^\d{4}-\d\d-\d\d/i;
/** Before parsing, Mermaid swaps entity codes (`#58;`) for placeholders and shows them as the character. */
const withoutEntities = (text: string) => text.replace(/#\d+;/g, 'E');
const decoded = (text: string) => text.replace(/#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));

interface Task {
  section: string;
  name: string;
  tags: string[];
  id: string;
  start: number;
  end: number;
}

/** Checks every line against the grammar and returns the tasks, their names decoded as Mermaid shows them. */
function parseGantt(chart: string): { title: string; tasks: Task[] } {
  expect(chart.endsWith('\n')).toBe(true);
  const lines = chart.trimEnd().split('\n');
  expect(lines.slice(0, 5)).toEqual(['gantt', expect.stringMatching(/^ {4}title \S/), '    dateFormat x', '    axisFormat %H:%M:%S', '    todayMarker off']);
  const checkText = (text: string) => {
    // No `:` (ends a name), `#` (a comment), `;` (ends data) or `%` (a comment) but in an entity code.
    expect(withoutEntities(text)).toMatch(/^[^#:;%\n]+$/);
    expect(text).not.toMatch(KEYWORD);
  };
  const title = lines[1].slice('    title '.length);
  checkText(title);
  const tasks: Task[] = [];
  let section: string | undefined;
  for (const line of lines.slice(5)) {
    if (line.startsWith('    section ')) {
      section = line.slice('    section '.length);
      checkText(section);
      continue;
    }
    const match = TASK.exec(line);
    expect({ line, ok: !!match }).toEqual({ line, ok: true });
    const { name, tags, id, start, end } = match!.groups!;
    checkText(name);
    expect(section).toBeDefined();
    tasks.push({ section: decoded(section!), name: decoded(name), tags: tags.split(', '), id, start: Number(start), end: Number(end) });
  }
  expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length);
  for (const task of tasks) {
    expect(task.end).toBeGreaterThanOrEqual(task.start);
    if (task.tags.includes('milestone')) expect(task.end).toBe(task.start);
  }
  return { title: decoded(title), tasks };
}

const files = fs
  .readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.history.pb'))
  .sort();
/** A recorded promotion and its stages, in that order, found by the recording test's name. */
function recorded(test: string): { workflowId: string; timeline: TimelineEntry[] }[] {
  return files
    .filter((f) => f.startsWith(test))
    .map((f) => ({ workflowId: f.slice(f.indexOf('__') + 2, -'.history.pb'.length), file: f }))
    .sort((a, b) => a.workflowId.length - b.workflowId.length)
    .map(({ workflowId, file }) => ({
      workflowId,
      timeline: timelineOf(temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES_DIR, file)))),
    }));
}

const CANARY_FAILS = 'a-stage-that-fails-is-undone-and-the-promotion-stops-there-canary-analysis-';
const QUORUM = 'production-approval-a-quorum-of-2-';
const ABORT = 'a-stage-that-fails-is-undone-and-the-promotion-stops-there-an-abort-';

test('every recorded promotion, alone and with its stages, makes a well-formed chart', () => {
  const promotions = [...new Set(files.map((f) => f.slice(0, f.indexOf('__'))))];
  expect(promotions.length).toBeGreaterThanOrEqual(5);
  for (const test of promotions) {
    const runs = recorded(test);
    for (const { workflowId, timeline } of runs) parseGantt(mermaidOf(workflowId, timeline));
    const { tasks } = parseGantt(
      mermaidOf(
        runs[0].workflowId,
        runs.flatMap((r) => r.timeline),
      ),
    );
    expect(tasks.length).toBeGreaterThan(0);
  }
});

test('a failed canary: the release, then a section per environment, the stage failing in red after its rollback', () => {
  const runs = recorded(CANARY_FAILS);
  const [promotion] = runs;
  const sha = promotion.workflowId.split('-')[2];
  const { title, tasks } = parseGantt(
    mermaidOf(
      `ferry: ${promotion.workflowId}`,
      runs.flatMap((r) => r.timeline),
    ),
  );

  expect(title).toBe(`ferry: ${promotion.workflowId}`);
  expect([...new Set(tasks.map((t) => t.section))]).toEqual(['release', 'dev', 'staging']);
  const release = tasks.filter((t) => t.section === 'release');
  expect(release.map((t) => [t.name, t.tags])).toEqual([
    [`resolve main (${sha})`, ['done']],
    [`build shop:${sha}`, ['done']],
    [`test shop:${sha}`, ['done']],
  ]);

  const staging = tasks.filter((t) => t.section === 'staging');
  expect(staging.map((t) => [t.name, t.tags])).toEqual([
    ['queue for ferry-lock/shop/staging', ['done']],
    ['lockGranted', ['milestone']],
    ['confirm that ferry-lock/shop/staging is ours', ['done']],
    [`stage ${promotion.workflowId}-staging`, ['crit']],
    ['migrate staging', ['done']],
    ["send 10% of staging's traffic to the canary", ['done']],
    ['canary at 10%: pause 5m', ['done']],
    ['analyse the canary at 10%', ['done']],
    ["send 50% of staging's traffic to the canary", ['done']],
    ['canary at 50%: pause 5m', ['done']],
    ['analyse the canary at 50%', ['done']],
    ['roll staging back', ['done']],
    ["undo staging's migrations (down)", ['done']],
    ['stage failed', ['crit', 'milestone']],
    ['promotion failed', ['crit', 'milestone']],
  ]);
  const pause = staging.find((t) => t.name === 'canary at 10%: pause 5m')!;
  expect(pause.end - pause.start).toBe(300_000);
  // Sorted by start within a section: the stage's own steps fall inside its bar.
  const bar = staging.find((t) => t.name.startsWith('stage ferry-'))!;
  for (const step of staging.filter((t) => t.name !== bar.name && !t.name.includes('lock') && t.name !== 'promotion failed')) {
    expect(step.start).toBeGreaterThanOrEqual(bar.start);
    expect(step.end).toBeLessThanOrEqual(bar.end);
  }
});

test('approvals are milestones in the environment they approve, and the approval timer waits in it too', () => {
  const [promotion] = recorded(QUORUM);
  const { tasks } = parseGantt(mermaidOf(promotion.workflowId, promotion.timeline));
  const production = tasks.filter((t) => t.section === 'production');
  expect(production.map((t) => [t.name, t.tags])).toEqual([
    ['notify: approval-waiting', ['done']],
    ['approve by olivia', ['milestone']],
    ['approval of production (2 needed, 3d to answer)', ['done']],
    ['approve by OLIVIA', ['milestone']],
    ['decide approve by sam', ['milestone']],
    ['queue for ferry-lock/shop/production', ['done']],
    ['lockGranted', ['milestone']],
    ['confirm that ferry-lock/shop/production is ours', ['done']],
    [`stage ${promotion.workflowId}-production`, ['done']],
    ['notify: succeeded', ['done']],
    ['promotion completed', ['milestone']],
  ]);
});

test('an abort is a red milestone where it happened', () => {
  const [promotion] = recorded(ABORT);
  const { tasks } = parseGantt(mermaidOf(promotion.workflowId, promotion.timeline));
  expect(tasks.filter((t) => t.tags.includes('crit')).map((t) => [t.section, t.name, t.tags])).toEqual([
    ['staging', `stage ${promotion.workflowId}-staging`, ['crit']],
    ['staging', 'abort by sre-sam', ['crit', 'milestone']],
    ['staging', 'promotion failed', ['crit', 'milestone']],
  ]);
});

test('a timer waits in the section of what it gates, even with nothing announcing it', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 12, 0, s)).toISOString();
  const timeline: TimelineEntry[] = [
    { kind: 'workflow', eventId: 1, at: at(0), state: 'started', workflowType: 'promotion' },
    { kind: 'child', eventId: 2, at: at(1), workflowId: 'ferry-shop-1234567-staging', workflowType: 'stage', environment: 'staging', state: 'completed', endedAt: at(2), durationMs: 1000 },
    { kind: 'timer', eventId: 3, at: at(3), timerId: '1', summary: 'approval of production', state: 'fired', durationMs: 1000, endedAt: at(4) },
    { kind: 'signal', eventId: 4, at: at(5), name: 'lockGranted', environment: 'production' },
    { kind: 'workflow', eventId: 5, at: at(6), state: 'completed' },
  ];
  const { tasks } = parseGantt(mermaidOf('promotion', timeline));
  expect(tasks.map((t) => [t.section, t.name])).toEqual([
    ['staging', 'stage ferry-shop-1234567-staging'],
    ['production', 'approval of production'],
    ['production', 'lockGranted'],
    ['production', 'promotion completed'],
  ]);
});

test('what still runs is active up to the last thing the history saw', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 12, 0, s)).toISOString();
  const timeline: TimelineEntry[] = [
    { kind: 'workflow', eventId: 1, at: at(0), state: 'started', workflowType: 'stage' },
    { kind: 'activity', eventId: 5, at: at(1), activityId: '1', name: 'deploy', environment: 'qa', state: 'scheduled', attempts: 0 },
    { kind: 'timer', eventId: 7, at: at(2), timerId: '1', state: 'started', durationMs: 900_000 },
    { kind: 'signal', eventId: 9, at: at(30), name: 'abort', by: 'sam', reason: 'why not' },
  ];
  const { tasks } = parseGantt(mermaidOf('qa', timeline));
  expect(tasks).toEqual([
    { section: 'qa', name: 'deploy', tags: ['active'], id: 't1', start: Date.parse(at(1)), end: Date.parse(at(30)) },
    { section: 'qa', name: 'timer 15m', tags: ['active'], id: 't2', start: Date.parse(at(2)), end: Date.parse(at(30)) },
    { section: 'qa', name: 'abort by sam', tags: ['crit', 'milestone'], id: 't3', start: Date.parse(at(30)), end: Date.parse(at(30)) },
  ]);
});

test('text is kept to one line, with the characters Mermaid reads as syntax as entity codes', () => {
  expect(escapeText('canary at 10%: pause 5m')).toBe('canary at 10#37;#58; pause 5m');
  expect(escapeText('fix #12; then\n  ship')).toBe('fix #35;12#59; then ship');
  expect(escapeText('call the webhook')).toBe('#99;all the webhook');
  expect(escapeText('Section 2')).toBe('#83;ection 2');
  expect(escapeText('2025-01-01 release')).toBe('#50;025-01-01 release');
  expect(escapeText('recall the build')).toBe('recall the build');
  expect(escapeText('  ')).toBe('(unnamed)');

  const { title, tasks } = parseGantt(
    mermaidOf('ferry: shop#1; 100%\nof it', [
      {
        kind: 'activity',
        eventId: 5,
        at: new Date(0).toISOString(),
        activityId: '1',
        name: 'x',
        summary: 'click: here; #now 50%',
        state: 'completed',
        attempts: 2,
        endedAt: new Date(1000).toISOString(),
        durationMs: 1000,
      },
    ]),
  );
  expect(title).toBe('ferry: shop#1; 100% of it');
  expect(tasks.map((t) => t.name)).toEqual(['click: here; #now 50% (2 attempts)']);
});
