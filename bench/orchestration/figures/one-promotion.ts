// One promotion at a time, Ferry and bare in interleaved rounds after a warm-up round of each:
// wall time, history events and workflow tasks, worker CPU. Then approval → first change,
// interleaved, on the same (otherwise idle) workers.
import { isDeepStrictEqual } from 'node:util';
import type { BenchContext } from '../context';
import { startWorker } from '../context';
import { approve, countedPromotion, finished, locksOf, locksSettled, lockReading, ORCHESTRATION_ONLY, runOne, start, workHistories } from '../drive';
import { SOURCES, untilWaiting, workSequence, type Source } from '../history';
import { KINDS, type Kind } from '../ipc';
import { benchPlan } from '../plan';
import type { FigureRow } from '../table';
import type { WorkerChild } from '../worker-child';

interface Round {
  wallMs: number;
  events: number;
  workflowTasks: number;
  bySource: Record<Source, number>;
  cpuMs: number;
  sequence: string[];
}

async function round(ctx: BenchContext, kind: Kind, worker: WorkerChild): Promise<Round> {
  // One app per kind for every round: its locks exist after the warm-up, as in a team's steady state.
  const plan = benchPlan(`${ctx.runTag}-${kind}-one`);
  const locksBefore = new Map(await Promise.all(locksOf(kind, plan).map(async (id) => [id, await lockReading(ctx.client, id)] as const)));
  const cpuBefore = (await worker.stats()).cpuMicros;
  const { workflowId, wallMs } = await runOne(ctx.client, kind, plan);
  await locksSettled(ctx.client, kind, plan);
  const cpuMs = ((await worker.stats()).cpuMicros - cpuBefore) / 1000;
  const counted = await countedPromotion(ctx.client, kind, plan, workflowId, locksBefore);
  const sequence = workSequence(await workHistories(ctx.client, kind, plan, workflowId), ORCHESTRATION_ONLY);
  return { wallMs, cpuMs, sequence, ...counted };
}

/** A bench that compares different work is worthless: bare (and the floor) must do what Ferry did, minus orchestration. */
export function assertSameWork(ferry: string[], other: string[], kind: Kind = 'bare'): void {
  if (isDeepStrictEqual(ferry, other)) return;
  const at = ferry.findIndex((what, i) => other[i] !== what);
  throw new Error(
    `the ${kind} workflow does not do Ferry's work: first difference at #${at === -1 ? ferry.length : at}\n` +
      `Ferry (without ${[...ORCHESTRATION_ONLY].join(', ')}):\n  ${ferry.join('\n  ')}\n${kind}:\n  ${other.join('\n  ')}`,
  );
}

async function approvalLatencies(ctx: BenchContext, workers: Record<Kind, WorkerChild>): Promise<Record<Kind, number[]>> {
  const n = ctx.scale.approvals;
  ctx.say(`approval → first change: ${n} promotions per kind brought to production's approval`);
  const ids: Record<Kind, string[]> = { ferry: [], bare: [], floor: [] };
  for (const kind of KINDS) {
    // The rounds' app: its environments' locks run already, as they do for any environment a
    // team has promoted to before (a lock lives on with its ledger); they queue through dev and staging.
    ids[kind] = await Promise.all(Array.from({ length: n }, () => start(ctx.client, kind, benchPlan(`${ctx.runTag}-${kind}-one`))));
  }
  for (const kind of KINDS) for (const id of ids[kind]) await untilWaiting(ctx.client, id);
  const latencies: Record<Kind, number[]> = { ferry: [], bare: [], floor: [] };
  for (let i = 0; i < n; i++) {
    for (const kind of KINDS) {
      const id = ids[kind][i];
      const sentAt = await approve(ctx.client, id);
      // Each runs to its end before the next approval, so every sample meets an idle worker.
      await finished(ctx.client, id);
      const changedAt = (await workers[kind].changes([id]))[id];
      if (changedAt === undefined) throw new Error(`${id} finished without production's backup on the ${kind} worker`);
      latencies[kind].push(changedAt - sentAt);
    }
  }
  return latencies;
}

export async function onePromotionFigures(ctx: BenchContext): Promise<FigureRow[]> {
  const workers = { ferry: await startWorker(ctx, 'ferry'), bare: await startWorker(ctx, 'bare'), floor: await startWorker(ctx, 'floor') } as Record<Kind, WorkerChild>;
  try {
    const rounds: Record<Kind, Round[]> = { ferry: [], bare: [], floor: [] };
    const warmUp: Partial<Record<Kind, Round>> = {};
    for (let r = 0; r <= ctx.scale.rounds; r++) {
      for (const kind of KINDS) {
        const result = await round(ctx, kind, workers[kind]);
        ctx.say(`${r === 0 ? 'warm-up' : `round ${r}`} ${kind}: ${Math.round(result.wallMs)} ms, ${result.events} events, ${result.workflowTasks} tasks, ${Math.round(result.cpuMs)} ms CPU`);
        if (r > 0) rounds[kind].push(result);
        else warmUp[kind] = result;
      }
      if (r === 0) {
        assertSameWork(warmUp.ferry!.sequence, warmUp.bare!.sequence);
        assertSameWork(warmUp.ferry!.sequence, warmUp.floor!.sequence, 'floor');
      }
    }
    const latencies = await approvalLatencies(ctx, workers);
    const pick = (kind: Kind, key: keyof Omit<Round, 'sequence' | 'bySource'>) => rounds[kind].map((r) => r[key]);
    const fromSource = (kind: Kind, source: Source) => rounds[kind].map((r) => r.bySource[source]);
    const rows: FigureRow[] = [
      {
        figure: 'one 3-environment promotion, wall time (start → result)',
        unit: 'ms',
        ferry: pick('ferry', 'wallMs'),
        bare: pick('bare', 'wallMs'),
        show: 'range',
        goal: { kind: 'ratio', atMost: 1.05, of: 'median' },
      },
      {
        figure: 'history events per promotion (every workflow it caused)',
        unit: 'count',
        ferry: pick('ferry', 'events'),
        bare: pick('bare', 'events'),
        show: 'range',
        goal: { kind: 'ratio', atMost: 1.25, of: 'median' },
      },
      ...SOURCES.map((source): FigureRow => ({
        figure: `… of which ${source}`,
        unit: 'count',
        ferry: fromSource('ferry', source),
        bare: fromSource('bare', source),
        show: 'range',
        goal: { kind: 'stated', text: '—' },
      })),
      { figure: 'workflow tasks per promotion', unit: 'count', ferry: pick('ferry', 'workflowTasks'), bare: pick('bare', 'workflowTasks'), show: 'range', goal: { kind: 'stated', text: '—' } },
      { figure: 'worker CPU per promotion (user + system)', unit: 'ms', ferry: pick('ferry', 'cpuMs'), bare: pick('bare', 'cpuMs'), show: 'range', goal: { kind: 'stated', text: '—' } },
      {
        figure: "approval signal → production's first change (backup starts), idle worker, the environment's lock running",
        unit: 'ms',
        ferry: latencies.ferry,
        bare: latencies.bare,
        show: 'percentiles',
        goal: { kind: 'difference', atMost: 30, of: 'p95' },
      },
    ];
    // The same figures for the floor, in Ferry's column, judged by the same goals: a goal the floor
    // misses is one no design that keeps a workflow per environment, a lock and the search attributes meets.
    const floorRows = rows.filter((row) => !row.figure.startsWith('… of which')).map((row): FigureRow => ({ ...row, figure: `floor: ${row.figure}`, ferry: floorSamples(row.figure) }));
    function floorSamples(figure: string): number[] {
      if (figure.startsWith('one 3-environment')) return pick('floor', 'wallMs');
      if (figure.startsWith('history events')) return pick('floor', 'events');
      if (figure.startsWith('workflow tasks')) return pick('floor', 'workflowTasks');
      if (figure.startsWith('worker CPU')) return pick('floor', 'cpuMs');
      return latencies.floor;
    }
    return [...rows, ...floorRows];
  } finally {
    await Promise.all(KINDS.map((kind) => workers[kind].stop()));
  }
}
