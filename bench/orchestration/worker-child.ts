// The bench's side of a worker process: fork it, ask it for its CPU, memory and change times, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import { replySchema, type ChildArgs, type Kind, type Reply, type Stats } from './ipc';

const READY_TIMEOUT_MS = 120_000;
const ANSWER_TIMEOUT_MS = 60_000;

export class WorkerChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private exited = false;

  private constructor(
    readonly kind: Kind,
    private readonly child: ChildProcess,
    readonly maxCachedWorkflows: number,
  ) {
    child.on('message', (raw) => {
      const reply = replySchema.parse(raw);
      if ('id' in reply) {
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    });
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** `entry`: the compiled worker process (compiled-worker.ts). */
  static async start(entry: string, args: ChildArgs): Promise<WorkerChild> {
    const child = fork(entry, [JSON.stringify(args)], {
      // FERRY_BENCH_CPU_PROF_DIR: each worker writes a V8 CPU profile there (one per thread), to see where its time goes.
      execArgv: process.env.FERRY_BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FERRY_BENCH_CPU_PROF_DIR}`] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${args.kind} worker did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      child.on('message', (raw) => {
        const reply = replySchema.parse(raw);
        if (reply.type === 'ready' || reply.type === 'failed') {
          clearTimeout(timer);
          resolve(reply);
        }
      });
      child.once('exit', (code) => reject(new Error(`the ${args.kind} worker exited with ${code} before it was ready`)));
    });
    if (ready.type === 'failed') throw new Error(`the ${args.kind} worker failed to start: ${ready.error}`);
    if (ready.type !== 'ready') throw new Error(`the ${args.kind} worker answered ${ready.type} before it was ready`);
    return new WorkerChild(args.kind, child, ready.maxCachedWorkflows);
  }

  /** Sends a request; the reply has the request's type (`stopped` for `stop`). */
  private ask<T extends Reply['type']>(type: T, extra: object = {}): Promise<Extract<Reply, { type: T }>> {
    if (this.exited) return Promise.reject(new Error(`the ${this.kind} worker has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${this.kind} worker did not answer ${type} within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.type !== type) reject(new Error(`the ${this.kind} worker answered ${reply.type} to ${type}`));
        else resolve(reply as Extract<Reply, { type: T }>);
      });
      this.child.send({ type: type === 'stopped' ? 'stop' : type, id, ...extra });
    });
  }

  async stats(): Promise<Stats> {
    return (await this.ask('stats')).stats;
  }

  /** When each promotion's first change (production's backup) started on the worker, by Date.now(). */
  async changes(promotionIds: string[]): Promise<Record<string, number>> {
    return (await this.ask('changes', { promotionIds })).at;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask('stopped').catch(() => undefined);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
