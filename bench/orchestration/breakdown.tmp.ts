import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { freePort } from '../../activities/targets/local/probes';
import { startDevServer } from '../../client/dev/temporal-dev-server';
import { ferryDataConverter } from '../../common/data-converter';
import { toolPaths } from '../../test/helpers/tools';
import { WorkerChild } from './worker-child';
import { runOne, locksOf, locksSettled } from './drive';
import { historyOf } from './history';
import { benchPlan } from './plan';
import { stageWorkflowId } from '../../common/plan';
const ET = temporal.api.enums.v1.EventType;
async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
  const server = await startDevServer({ temporal: toolPaths().temporal, dbFile: path.join(dir, 't.db'), port: await freePort(), uiPort: await freePort(), logFile: path.join(dir, 't.log') });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: ferryDataConverter });
  const kinds = (process.env.KINDS ?? 'ferry,bare').split(',') as ('ferry' | 'bare')[];
  for (const kind of kinds) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: kind === 'ferry' ? require.resolve('../../workflows') : require.resolve('./bare-workflow'),
      ...(kind === 'ferry' ? { payloadConverterPath: ferryDataConverter.payloadConverterPath } : {}),
      logger: new DefaultLogger('WARN'),
    });
    const file = path.join(dir, kind + '.js');
    fs.writeFileSync(file, code);
    const worker = await WorkerChild.start({ kind, address: server.address, bundlePath: file });
    for (const round of [1, 2]) {
      const plan = benchPlan(`bd-${kind}`);
      const r = await runOne(client, kind, plan);
      if (kind === 'ferry') await locksSettled(client, plan);
      if (round === 1) continue;
      const ids = kind === 'ferry' ? [r.workflowId, ...plan.environments.map((e) => stageWorkflowId(r.workflowId, e.name)), ...locksOf(plan)] : [r.workflowId];
      console.log(`== ${kind} wall ${Math.round(r.wallMs)} ms`);
      const all: { t: number; w: string; n: string }[] = [];
      for (const id of ids) {
        const ev = await historyOf(client, id);
        const c: Record<string, number> = {};
        for (const e of ev) {
          const n = ET[e.eventType!].replace('EVENT_TYPE_', '');
          c[n] = (c[n] ?? 0) + 1;
        }
        console.log(id, ev.length, JSON.stringify(c));
        if (process.env.DUMP)
          for (const e of ev)
            all.push({
              t: Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6,
              w: id.replace(/.*-/, ''),
              n: ET[e.eventType!].replace('EVENT_TYPE_', '') + ' ' + ((e as any).activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
            });
      }
      all.sort((a, b) => a.t - b.t);
      const t0 = all[0]?.t ?? 0;
      if (process.env.DUMP) for (const x of all) if (x.t >= t0 - 5) console.log((x.t - t0).toFixed(1).padStart(8), x.w.padEnd(12), x.n);
    }
    await worker.stop();
  }
  await connection.close();
  await server.stop();
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
