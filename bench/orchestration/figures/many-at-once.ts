// N promotions started at once on one fresh worker per kind (Ferry, bare, the floor in each of its
// two designs; FERRY_BENCH_AT_ONCE_RUNS picks them), each of its own app (so no lock queues them):
// wall time for all and the worker's peak RSS. The floor asks its locks by signal here: asked by
// update from a local activity, each ask holds a workflow-task slot until the lock's own task has
// run, and with hundreds asking at once the locks' tasks found no slot (at 300 it did not finish in
// 13 minutes). Then, for Ferry, a batch that shares one app, read back to see that stages of one
// environment never overlapped.
import type { Client } from '@temporalio/client';
import type { PromotionStatus } from '../../../common/status';
import { withWorker, type BenchContext } from '../context';
import { approveAsTheyWait, eachLimited, finished, start } from '../drive';
import type { FloorDesign, Kind } from '../ipc';
import { AT_ONCE_RUN_TABLE, type AtOnceRun } from '../at-once-runs';
import { describeMemory } from '../memory-breakdown';
import { benchPlan } from '../plan';
import type { FigureRow } from '../table';

/** Starts every plan, approves each as it waits, and returns once all succeeded. */
async function batch(client: Client, kind: Kind, apps: string[], floorDesign?: FloorDesign): Promise<{ wallMs: number; ids: string[] }> {
  const startedAt = performance.now();
  const ids = await eachLimited(apps, 32, (app) => start(client, kind, benchPlan(app), floorDesign));
  let done = false;
  const approving = approveAsTheyWait(client, ids, () => done);
  try {
    await eachLimited(ids, 64, (id) => finished(client, id));
  } finally {
    done = true;
    await approving;
  }
  return { wallMs: performance.now() - startedAt, ids };
}

const GATE_STEPS = new Set(['approval', 'lock', 'freeze', 'record', 'record-ref']);

/** Pairs of stages of one environment whose steps overlapped in time, across the promotions given. */
export function overlappingStages(statuses: PromotionStatus[]): number {
  let overlaps = 0;
  const environments = new Set(statuses.flatMap((s) => s.environments.map((e) => e.name)));
  for (const name of environments) {
    const spans = statuses.flatMap((s) => {
      const steps = s.environments.find((e) => e.name === name)?.steps.filter((step) => !GATE_STEPS.has(step.name) && step.startedAt && step.endedAt) ?? [];
      if (steps.length === 0) return [];
      return [{ from: Math.min(...steps.map((st) => Date.parse(st.startedAt!))), to: Math.max(...steps.map((st) => Date.parse(st.endedAt!))) }];
    });
    spans.sort((a, b) => a.from - b.from);
    for (let i = 0; i < spans.length; i++) for (let j = i + 1; j < spans.length && spans[j].from < spans[i].to; j++) overlaps++;
  }
  return overlaps;
}

export async function manyAtOnceFigures(ctx: BenchContext): Promise<FigureRow[]> {
  const n = ctx.scale.concurrent;
  const measured: Partial<Record<AtOnceRun, { wallMs: number; peakRssBytes: number; cpuMs: number; mainAllocatedBytes: number; workflowThreadAllocatedBytes: number }>> = {};
  let overlaps: number | undefined;
  let lockAnswers: { granted: number; queued: number } | undefined;
  let holderChecks: { all: number; askedTheHolder: number } | undefined;
  for (const { run, kind, ...design } of AT_ONCE_RUN_TABLE.filter(({ run }) => ctx.scale.atOnceRuns.includes(run))) {
    const floorDesign = 'floorDesign' in design ? design.floorDesign : undefined;
    await withWorker(
      ctx,
      kind,
      async (worker) => {
        const name = floorDesign ? `${kind} (${floorDesign})` : kind;
        ctx.say(`${n} at once, ${name}: fresh worker (pid ${worker.pid})`);
        const before = await worker.stats();
        const { wallMs } = await batch(
          ctx.client,
          kind,
          Array.from({ length: n }, (_, i) => `${ctx.runTag}-${run}-c${i}`),
          floorDesign,
        );
        const after = await worker.stats();
        measured[run] = {
          wallMs,
          peakRssBytes: after.peakRssBytes,
          cpuMs: (after.cpuMicros - before.cpuMicros) / 1000 / n,
          mainAllocatedBytes: (after.allocated.mainBytes - before.allocated.mainBytes) / n,
          workflowThreadAllocatedBytes: (after.allocated.workflowThreadBytes - before.allocated.workflowThreadBytes) / n,
        };
        const { mainAllocatedBytes, workflowThreadAllocatedBytes } = measured[run];
        ctx.say(
          `${n} at once, ${name}: ${Math.round(wallMs)} ms, peak RSS ${Math.round(after.peakRssBytes / 2 ** 20)} MB, ` +
            `heap allocated per promotion ${(workflowThreadAllocatedBytes / 2 ** 20).toFixed(2)} MB in the workflow thread, ${(mainAllocatedBytes / 2 ** 20).toFixed(2)} MB in the main one`,
        );
        ctx.say(`${n} at once, ${name}: ${describeMemory(after.memoryAtPeak)}`);
        if (after.lockAnswers) {
          lockAnswers = after.lockAnswers;
          ctx.say(`${n} at once, ${name}: lock requests answered granted ${lockAnswers.granted}, queued ${lockAnswers.queued}`);
        }
        if (after.holderChecks) {
          const { all = 0, askedTheHolder = 0 } = before.holderChecks ?? {};
          holderChecks = { all: after.holderChecks.all - all, askedTheHolder: after.holderChecks.askedTheHolder - askedTheHolder };
        }
        if (kind === 'ferry' && ctx.scale.shared > 1) {
          const { ids } = await batch(
            ctx.client,
            kind,
            Array.from({ length: ctx.scale.shared }, () => `${ctx.runTag}-ferry-shared`),
          );
          const statuses = await Promise.all(ids.map((id) => ctx.client.workflow.getHandle(id).result() as Promise<PromotionStatus>));
          overlaps = overlappingStages(statuses);
          ctx.say(`${ctx.scale.shared} promotions of one app: ${overlaps} overlapping stage pairs`);
        }
      },
      { ...(kind === 'floor' ? { floorClaim: 'signal' as const } : {}), ...(ctx.scale.atOnceCache === undefined ? {} : { maxCachedWorkflows: ctx.scale.atOnceCache }) },
    );
  }
  const bare = measured.bare;
  const none = { kind: 'stated', text: '—' } as const;
  /** A count of Ferry's, with nothing of bare's to hold it to. */
  const countRow = (figure: string, value: number): FigureRow => ({ figure, unit: 'count', ferry: [value], bare: [], show: 'range', goal: none });
  // A run's rows against bare's; the floor's in Ferry's column, by the same goals (see one-promotion.ts).
  const runRows = (run: AtOnceRun, label: string, rssLabel: string): FigureRow[] => {
    const it = measured[run];
    if (!it || !bare) return [];
    type Measured = typeof it;
    const ratio = { kind: 'ratio', atMost: 1.5, of: 'median' } as const;
    const row = (what: string, unit: FigureRow['unit'], of: (m: Measured) => number, goal: FigureRow['goal']): FigureRow => ({
      figure: `${label}${what}`,
      unit,
      ferry: [of(it)],
      bare: [of(bare)],
      show: 'range',
      goal,
    });
    return [
      row(`${n} promotions at once on one worker, wall time for all`, 'ms', (m) => m.wallMs, ratio),
      row(`${n} at once, ${rssLabel}`, 'bytes', (m) => m.peakRssBytes, ratio),
      row(`${n} at once, worker CPU per promotion`, 'ms', (m) => m.cpuMs, none),
      row(`${n} at once, heap allocated per promotion, workflow thread`, 'bytes', (m) => m.workflowThreadAllocatedBytes, none),
      row(`${n} at once, heap allocated per promotion, main thread`, 'bytes', (m) => m.mainAllocatedBytes, none),
    ];
  };
  const lockRows: FigureRow[] = [
    ...(lockAnswers
      ? [countRow(`${n} at once: Ferry's lock requests that waited out their bound and queued by signal, all locks free (of ${lockAnswers.granted + lockAnswers.queued})`, lockAnswers.queued)]
      : []),
    ...(holderChecks
      ? [
          countRow(
            `${n} at once: Ferry's locks' checks that their holder still holds them (each a timed wait and an activity, local when only the server is asked; retried attempts included), in all`,
            holderChecks.all,
          ),
          countRow(`${n} at once: … of which asked the holder itself (a query, a workflow task on its worker)`, holderChecks.askedTheHolder),
        ]
      : []),
  ];
  const rows = [
    ...runRows('ferry', '', 'worker peak RSS (VmHWM, fresh process)'),
    ...lockRows,
    ...runRows('floor', 'floor (locks asked by signal): ', 'worker peak RSS'),
    ...runRows('floor-per-environment', 'floor, one workflow per environment (lock and stage in one): ', 'worker peak RSS'),
  ];
  if (overlaps !== undefined) {
    rows.push({
      figure: `${ctx.scale.shared} Ferry promotions of one app at once: stage pairs of one environment that overlapped`,
      unit: 'count',
      ferry: [overlaps],
      bare: [],
      show: 'range',
      goal: { kind: 'stated', text: overlaps === 0 ? 'none overlap: met' : 'none overlap: NOT met' },
    });
  }
  return rows;
}
