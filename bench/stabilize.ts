// How much wall time a 15-minute stabilize costs on the time-skipping test server, as a ratio
// to the same promotion with no stabilize at all, measured in the same run.
import { samplePlan } from '../test/helpers/fixtures';
import { runPromotion } from '../test/helpers/promotions';
import { stubActivities } from '../test/helpers/stub-activities';
import { startTimeSkippingServer } from '../test/helpers/temporal-env';

const ROUNDS = 5;

async function main(): Promise<void> {
  const env = await startTimeSkippingServer();
  try {
    const timeOne = async (stabilizeMs: number) => {
      const plan = samplePlan((config) => {
        config.environments = config.environments.filter((e) => e.name === 'dev').map((e) => ({ ...e, stabilize: stabilizeMs }));
      });
      const started = process.hrtime.bigint();
      const { status } = await runPromotion(env, stubActivities().activities, plan);
      if (status.state !== 'succeeded') throw new Error(`promotion ${status.state}: ${status.error}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await timeOne(0); // warm-up: bundling and first connections
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const baseline: number[] = [];
    const stabilized: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      baseline.push(await timeOne(0));
      stabilized.push(await timeOne(15 * 60_000));
    }
    const b = median(baseline);
    const s = median(stabilized);
    console.log(`promotion, no stabilize (baseline): median ${b.toFixed(0)} ms over ${ROUNDS}`);
    console.log(`promotion, 15m stabilize, 30 checks: median ${s.toFixed(0)} ms over ${ROUNDS}`);
    console.log(`ratio: ${(s / b).toFixed(2)}x baseline; the 15 minutes cost ${(s - b).toFixed(0)} ms of wall time`);
  } finally {
    await env.teardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
