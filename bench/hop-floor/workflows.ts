// The shapes a decision can take to reach its first change, each reduced to Temporal's own parts:
// no Ferry code, no schemas, no status. What one of them costs over `direct` is the least any
// design with that shape pays on this server, whoever writes the workflows.
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  startChild,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export interface FloorActivities {
  /** The first change: the harness notes when it starts. */
  change(run: string): Promise<void>;
  /** Asks another workflow by update and returns its answer: what a workflow can only do through an activity. */
  claim(peer: string): Promise<boolean>;
  /** Tells a child, started earlier and waiting, to go, by update. */
  release(child: string): Promise<void>;
  /** Asks a parent, by query, whether it really told its child to go: a signal alone may be anyone's. */
  confirm(parent: string): Promise<boolean>;
}

export const goSignal = defineSignal('go');
const askSignal = defineSignal<[string]>('ask');
const grantedSignal = defineSignal('granted');
export const claimUpdate = defineUpdate<boolean>('claim');
export const goUpdate = defineUpdate<void>('go');
export const wentAheadQuery = defineQuery<boolean>('wentAhead');

const { change } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1m' });
const { claim, release, confirm } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1m' });

const decided = async (): Promise<void> => {
  let go = false;
  setHandler(goSignal, () => void (go = true));
  await condition(() => go);
};

/** The decision, then the change: the bare shape. */
export async function direct(): Promise<void> {
  await decided();
  await change(workflowInfo().workflowId);
}

/** The change runs in a child workflow of its own, started on the decision (each environment its own workflow). */
export async function viaChild(): Promise<void> {
  await decided();
  await executeChild(changeInChild, { workflowId: `${workflowInfo().workflowId}-child`, args: [workflowInfo().workflowId] });
}

export async function changeInChild(run: string): Promise<void> {
  await change(run);
}

/** Another workflow hands the environment over by signals, one each way (a lock in a workflow of its own). */
export async function viaPeerSignals(peer: string): Promise<void> {
  let granted = false;
  setHandler(grantedSignal, () => void (granted = true));
  await decided();
  await getExternalWorkflowHandle(peer).signal(askSignal, workflowInfo().workflowId);
  await condition(() => granted);
  await change(workflowInfo().workflowId);
}

/** Another workflow answers an update sent from a local activity in the deciding task (a loan claimed from a lock). */
export async function viaPeerUpdate(peer: string): Promise<void> {
  await decided();
  if (!(await claim(peer))) throw new Error(`${peer} refused the claim`);
  await change(workflowInfo().workflowId);
}

/** Both: a loan claimed from the lock, and the change in a child. */
export async function viaPeerUpdateAndChild(peer: string): Promise<void> {
  await decided();
  if (!(await claim(peer))) throw new Error(`${peer} refused the claim`);
  await executeChild(changeInChild, { workflowId: `${workflowInfo().workflowId}-child`, args: [workflowInfo().workflowId] });
}

/** The child is started before the decision and waits; the decision reaches it by an update from a local activity. */
export async function viaStartedChildUpdate(): Promise<void> {
  const child = await startChild(changeWhenTold, { workflowId: `${workflowInfo().workflowId}-child`, args: [workflowInfo().workflowId] });
  await decided();
  await release(child.workflowId);
  await child.result();
}

export async function changeWhenTold(run: string): Promise<void> {
  let go = false;
  setHandler(goUpdate, () => void (go = true));
  await condition(() => go);
  await change(run);
}

/**
 * The child is started before the decision and waits; the decision reaches it by a signal, which it
 * checks with its parent by a query from a local activity before it acts (anyone can send a signal).
 */
export async function viaStartedChildSignalChecked(): Promise<void> {
  await toldStartedChild(async () => undefined);
}

/** As viaStartedChildSignalChecked, with a loan claimed from the lock by update on the decision first. */
export async function viaPeerUpdateStartedChildSignalChecked(peer: string): Promise<void> {
  await toldStartedChild(async () => {
    if (!(await claim(peer))) throw new Error(`${peer} refused the claim`);
  });
}

async function toldStartedChild(beforeTelling: () => Promise<void>): Promise<void> {
  let wentAhead = false;
  setHandler(wentAheadQuery, () => wentAhead);
  const child = await startChild(changeWhenSignalledAndConfirmed, { workflowId: `${workflowInfo().workflowId}-child`, args: [workflowInfo().workflowId] });
  await decided();
  await beforeTelling();
  wentAhead = true;
  await child.signal(goSignal);
  await child.result();
}

export async function changeWhenSignalledAndConfirmed(run: string): Promise<void> {
  let told = false;
  setHandler(goSignal, () => void (told = true));
  for (;;) {
    await condition(() => told);
    if (await confirm(workflowInfo().parent!.workflowId)) break;
    told = false;
  }
  await change(run);
}

/** The other workflow: grants whoever asks at once, and accepts every claim. */
export async function peer(): Promise<void> {
  setHandler(askSignal, (requester) => void getExternalWorkflowHandle(requester).signal(grantedSignal));
  setHandler(claimUpdate, () => true);
  await condition(() => false);
}
