// The steady state: W promotions waiting days for approval on one worker. Its memory once all
// wait and after an idle while, and how fast an approval to a few of them turns into a change.
// The floor runs too, asking its locks by update as in the one-promotion figure (its cheapest
// answer to an approval), so that a missed latency goal can be told from what any design pays here.
import { randomInt } from 'node:crypto';
import { withWorker, type BenchContext } from '../context';
import { approve, eachLimited, finished, start } from '../drive';
import { untilWaiting } from '../history';
import { KINDS, taskQueueOf, type Kind } from '../ipc';
import { benchPlan } from '../plan';
import type { FigureRow } from '../table';
import { describeMemory } from '../memory-breakdown';

function sample<T>(items: T[], k: number): T[] {
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

const openWorkflows = async (ctx: BenchContext, kind: Kind) => Number((await ctx.client.workflow.count(`TaskQueue = '${taskQueueOf(kind)}' AND ExecutionStatus = 'Running'`)).count);

export async function waitingFigures(ctx: BenchContext): Promise<FigureRow[]> {
  const { waiting: w, waitingApprovals, idleMs } = ctx.scale;
  const rssWaiting: Record<Kind, number[]> = { ferry: [], bare: [], floor: [] };
  const rssIdle: Record<Kind, number[]> = { ferry: [], bare: [], floor: [] };
  const latency: Record<Kind, number[]> = { ferry: [], bare: [], floor: [] };
  const open: Record<Kind, number[]> = { ferry: [], bare: [], floor: [] };
  let cache = 0;
  for (const kind of KINDS) {
    await withWorker(
      ctx,
      kind,
      async (worker) => {
        cache = worker.maxCachedWorkflows;
        ctx.say(`${w} waiting, ${kind}: fresh worker (pid ${worker.pid}, maxCachedWorkflows ${cache})`);
        // Earlier figures' locks live on (each keeps its ledger): only this batch's are counted.
        const openBefore = await openWorkflows(ctx, kind);
        const ids: string[] = [];
        for (let from = 0; from < w; from += ctx.scale.waitingWave) {
          const apps = Array.from({ length: Math.min(ctx.scale.waitingWave, w - from) }, (_, i) => `${ctx.runTag}-${kind}-w${from + i}`);
          const wave = await eachLimited(apps, 32, (app) => start(ctx.client, kind, benchPlan(app)));
          await eachLimited(wave, 16, (id) => untilWaiting(ctx.client, id, 30 * 60_000, 500));
          ids.push(...wave);
        }
        rssWaiting[kind].push((await worker.stats()).rssBytes);
        // Ferry's locks wait too (each keeps its environment's ledger): every open workflow may take a cache slot.
        open[kind].push((await openWorkflows(ctx, kind)) - openBefore);
        ctx.say(`${w} waiting, ${kind}: all wait; RSS ${Math.round(rssWaiting[kind][0] / 2 ** 20)} MB; idling ${idleMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, idleMs));
        const idle = await worker.stats();
        rssIdle[kind].push(idle.rssBytes);
        ctx.say(`${w} waiting, ${kind}: memory ${describeMemory(idle.memoryAtPeak)}`);
        for (const id of sample(ids, waitingApprovals)) {
          const sentAt = await approve(ctx.client, id);
          await finished(ctx.client, id);
          const changedAt = (await worker.changes([id]))[id];
          if (changedAt === undefined) throw new Error(`${id} finished without production's backup on the ${kind} worker`);
          latency[kind].push(changedAt - sentAt);
        }
      },
      ctx.scale.waitingCache === undefined ? {} : { maxCachedWorkflows: ctx.scale.waitingCache },
    );
  }
  // The floor in Ferry's column, by the same goals (see one-promotion.ts).
  const rows = (of: 'ferry' | 'floor', prefix: string): FigureRow[] => [
    {
      figure: `${prefix}${w} promotions waiting for approval on one worker: RSS once all wait (maxCachedWorkflows ${cache})`,
      unit: 'bytes',
      ferry: rssWaiting[of],
      bare: rssWaiting.bare,
      show: 'range',
      goal: { kind: 'stated', text: 'bounded by the cache' },
    },
    { figure: `${prefix}${w} waiting: open workflows on the worker's task queue`, unit: 'count', ferry: open[of], bare: open.bare, show: 'range', goal: { kind: 'stated', text: '—' } },
    {
      figure: `${prefix}${w} waiting, RSS after ${idleMs / 1000} s idle`,
      unit: 'bytes',
      ferry: rssIdle[of],
      bare: rssIdle.bare,
      show: 'range',
      goal: { kind: 'stated', text: 'bounded by the cache' },
    },
    {
      figure: `${prefix}${w} waiting: approval → first change, ${waitingApprovals} picked at random`,
      unit: 'ms',
      ferry: latency[of],
      bare: latency.bare,
      show: 'percentiles',
      goal: { kind: 'difference', atMost: 30, of: 'p95' },
    },
  ];
  return [...rows('ferry', ''), ...rows('floor', 'floor: ')];
}
