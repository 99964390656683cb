// The orchestration bench's arithmetic: a wrong median or ratio would print a table that lies.
import { formatRatio, pairedRatios, percentile, summarize } from '../../bench/orchestration/stats';
import { judge, renderTable, type FigureRow } from '../../bench/orchestration/table';
import { temporal } from '@temporalio/proto';
import { add, count, SOURCES, subtract } from '../../bench/orchestration/history';

describe('summarize', () => {
  test('one sample is its own min, median, max and p95', () => {
    expect(summarize([7])).toEqual({ n: 1, min: 7, median: 7, max: 7, p50: 7, p95: 7 });
  });

  test('an even count takes the mean of the two middle samples as the median, whatever the input order', () => {
    expect(summarize([4, 1, 3, 2])).toMatchObject({ n: 4, min: 1, median: 2.5, max: 4 });
  });

  test('an odd count takes the middle sample', () => {
    expect(summarize([9, 1, 5])).toMatchObject({ median: 5, min: 1, max: 9 });
  });

  test('no samples is a harness failure, not a zero', () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });

  test('the samples given are left in their order', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('percentile (nearest rank)', () => {
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  test('p95 of 1..20 is the 19th sample, p50 the 10th', () => {
    expect(percentile(twenty, 95)).toBe(19);
    expect(percentile(twenty, 50)).toBe(10);
  });

  test('p95 of 1..21 is the 20th: the rank rounds up', () => {
    expect(percentile([...twenty, 21], 95)).toBe(20);
  });

  test('p100 is the max and p0 the min', () => {
    expect(percentile([5, 3, 8], 100)).toBe(8);
    expect(percentile([5, 3, 8], 0)).toBe(3);
  });
});

describe('ratios', () => {
  test('formatted with two decimals and ×', () => {
    expect(formatRatio(1.054)).toBe('1.05×');
    expect(formatRatio(2)).toBe('2.00×');
  });

  test('a ratio to nothing is a dash, not Infinity', () => {
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatRatio(Number.NaN)).toBe('—');
  });

  test('interleaved rounds pair Ferry i with bare i', () => {
    expect(pairedRatios([10, 30], [5, 10])).toEqual([2, 3]);
  });

  test('rounds of different counts cannot be paired', () => {
    expect(() => pairedRatios([1, 2], [1])).toThrow(/2 Ferry samples against 1 bare/);
  });
});

describe('the table', () => {
  const wall: FigureRow = {
    figure: 'one promotion, wall time',
    unit: 'ms',
    ferry: [1100, 1000, 1200],
    bare: [1000, 1000, 1000],
    show: 'range',
    goal: { kind: 'ratio', atMost: 1.05, of: 'median' },
  };

  test('a ratio goal is judged on the median of the paired ratios', () => {
    expect(judge(wall)).toEqual({ text: '≤ 1.05×', met: false, ratio: '1.10× (1.00–1.20)' });
    expect(judge({ ...wall, ferry: [1000, 1040, 1000] })).toMatchObject({ met: true, ratio: '1.00× (1.00–1.04)' });
  });

  test('a ratio goal exactly at its bound is met', () => {
    expect(judge({ ...wall, ferry: [1050], bare: [1000] })).toMatchObject({ met: true, ratio: '1.05×' });
  });

  test('a difference goal is judged on p95, in the figure’s unit', () => {
    const latency: FigureRow = {
      figure: 'approval → first change',
      unit: 'ms',
      ferry: [40, 50, 60],
      bare: [10, 20, 25],
      show: 'percentiles',
      goal: { kind: 'difference', atMost: 30, of: 'p95' },
    };
    expect(judge(latency)).toMatchObject({ met: false, text: '≤ bare + 30 ms at p95' });
    expect(judge({ ...latency, ferry: [40, 50, 55] })).toMatchObject({ met: true });
  });

  test('a stated figure has no verdict', () => {
    expect(judge({ ...wall, goal: { kind: 'stated', text: 'bounded' } })).toMatchObject({ met: undefined, text: 'bounded' });
  });

  test('renders one markdown row per figure, the goal verdict last, and the machine under it', () => {
    const text = renderTable([wall], 'machine: 2 cores');
    const lines = text.split('\n');
    expect(lines[0]).toBe('| figure | Ferry | bare | ratio | goal | met? |');
    expect(lines[1]).toBe('|---|---|---|---|---|---|');
    expect(lines[2]).toBe('| one promotion, wall time | 1.10 s (1.00–1.20) | 1.00 s (1.00–1.00) | 1.10× (1.00–1.20) | ≤ 1.05× | no |');
    expect(lines.at(-1)).toBe('machine: 2 cores');
  });

  test('units: bytes as MB, counts as they are, percentiles as p50 / p95', () => {
    const text = renderTable(
      [
        { figure: 'rss', unit: 'bytes', ferry: [300 * 2 ** 20], bare: [100 * 2 ** 20], show: 'range', goal: { kind: 'ratio', atMost: 1.5, of: 'median' } },
        { figure: 'events', unit: 'count', ferry: [400, 410], bare: [200, 205], show: 'range', goal: { kind: 'ratio', atMost: 1.25, of: 'median' } },
        { figure: 'lat', unit: 'ms', ferry: [12.34], bare: [10], show: 'percentiles', goal: { kind: 'difference', atMost: 30, of: 'p95' } },
      ],
      '',
    );
    expect(text).toContain('| rss | 300 MB | 100 MB | 3.00× | ≤ 1.5× | no |');
    expect(text).toContain('| events | 405 (400–410) | 202.5 (200–205) | 2.00× (2.00–2.00) | ≤ 1.25× | no |');
    expect(text).toContain('| lat | p50 12 ms, p95 12 ms (n=1) | p50 10 ms, p95 10 ms (n=1) | +2 ms at p95 | ≤ bare + 30 ms at p95 | yes |');
  });

  test('a figure a kind could not produce shows a dash and no verdict', () => {
    const text = renderTable([{ ...wall, bare: [] }], '');
    expect(text).toContain('| one promotion, wall time | 1.10 s (1.00–1.20) | — | — | ≤ 1.05× | — |');
  });
});

describe('history events by source', () => {
  const { EventType } = temporal.api.enums.v1;
  const payload = { metadata: {}, data: Buffer.from('"x"') };
  const upsert = (...keys: string[]) => ({
    eventType: EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: Object.fromEntries(keys.map((key) => [key, payload])) } },
  });
  const marker = (markerName: string) => ({ eventType: EventType.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName } });

  test('a patch is its marker and its TemporalChangeVersion upsert; Ferry’s own upserts, even beside it, are search attributes', () => {
    const counted = count([marker('core_patch'), upsert('TemporalChangeVersion'), upsert('FerryStage'), upsert('FerryStage', 'TemporalChangeVersion'), marker('core_local_activity')]);
    expect(counted.bySource['patches (marker and TemporalChangeVersion upsert)']).toBe(2);
    expect(counted.bySource['search-attribute upserts']).toBe(2);
    expect(counted.bySource['local activities (markers)']).toBe(1);
  });

  test('every event is counted once, and a lock’s events in a round are its later count less its earlier', () => {
    const events = [
      { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
      { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED },
      { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED },
      { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
      { eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED },
      { eventType: EventType.EVENT_TYPE_TIMER_STARTED },
      { eventType: EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED },
      { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED },
      { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED },
    ];
    const before = count(events.slice(0, 4));
    const after = count(events);
    const round = subtract(after, before);
    expect(after.events).toBe(SOURCES.reduce((sum, source) => sum + after.bySource[source], 0));
    expect(round).toMatchObject({ events: 5, workflowTasks: 0 });
    expect(round.bySource).toMatchObject({ 'workflow tasks': 0, activities: 1, timers: 1, 'child workflows (in the parent)': 1, 'signals and updates': 2, 'workflow starts and ends': 0 });
    expect(add(before, round)).toEqual(after);
  });
});
