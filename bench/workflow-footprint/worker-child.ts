// The bench's side of a footprint worker: fork it, wait for it to settle, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { replySchema, type ChildArgs, type Reply, type Stats } from './ipc';

const ANSWER_TIMEOUT_MS = 180_000;

export class FootprintWorker {
  private constructor(private readonly child: ChildProcess) {}

  private static next(child: ChildProcess, what: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the footprint worker did not answer ${what} within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
      const onExit = (code: number | null) => reject(new Error(`the footprint worker exited with ${code} while asked ${what}`));
      child.once('exit', onExit);
      child.once('message', (raw) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        const reply = replySchema.parse(raw);
        if (reply.type === 'failed') reject(new Error(`the footprint worker failed: ${reply.error}`));
        else resolve(reply);
      });
    });
  }

  static async start(args: ChildArgs): Promise<{ worker: FootprintWorker; stats: Stats }> {
    const child = fork(path.join(__dirname, 'worker-process.ts'), [JSON.stringify(args)], {
      execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await FootprintWorker.next(child, 'ready');
    if (ready.type !== 'ready') throw new Error(`the footprint worker answered ${ready.type} before it was ready`);
    return { worker: new FootprintWorker(child), stats: ready.stats };
  }

  /** Stats once the worker caches at least `cached` workflows with nothing in flight. */
  async settle(cached: number): Promise<Stats> {
    const reply = FootprintWorker.next(this.child, 'settle');
    this.child.send({ type: 'settle', cached });
    const settled = await reply;
    if (settled.type !== 'settled') throw new Error(`the footprint worker answered ${settled.type} to settle`);
    return settled.stats;
  }

  async stop(): Promise<void> {
    const reply = FootprintWorker.next(this.child, 'stop').catch(() => undefined);
    this.child.send({ type: 'stop' });
    await reply;
  }
}
