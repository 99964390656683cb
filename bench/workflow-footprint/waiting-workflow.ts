// The baseline: a workflow that only waits, as an idle environment lock does, with nothing of
// Ferry's loaded. The difference per cached workflow is what Ferry's own modules cost.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

const wakeSignal = defineSignal<[unknown]>('wake');

export async function waiting(): Promise<void> {
  let woken = false;
  setHandler(wakeSignal, () => void (woken = true));
  await condition(() => woken, '30 days');
}
