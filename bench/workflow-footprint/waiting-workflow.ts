// The baseline: a workflow that only waits, as an idle environment lock does, with nothing of
// Ferry's loaded. The difference per cached workflow is what Ferry's own modules cost. It takes
// the lock's `acquire` signal and ignores it, so both kinds can be sent the same message.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

const acquireSignal = defineSignal<[unknown]>('acquire');

export async function waiting(): Promise<void> {
  let received = 0;
  setHandler(acquireSignal, () => void received++);
  await condition(() => received < 0, '30 days');
}
