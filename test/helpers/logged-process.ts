// A tool the tests start (Prometheus, the OpenTelemetry collector): its output in a log file,
// why it ended once it has, and a stop that waits for it (killing it if SIGTERM is not enough).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const STOP_TIMEOUT_MS = 10_000;

export interface LoggedProcess {
  /** Why it ended (`exited with 1`, `could not be started: …`), undefined while it runs. */
  exited(): string | undefined;
  /** The last lines it wrote, for an error message. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export function startLogged(binary: string, args: string[], logFile: string): LoggedProcess {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      resolve();
    });
    child.once('error', (error) => {
      exited = `could not be started: ${error.message}`;
      resolve();
    });
  });
  return {
    exited: () => exited,
    tail: (lines = 10) => fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n'),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = new AbortController();
      const ended = await Promise.race([exit.then(() => true), delay(STOP_TIMEOUT_MS, false, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
      if (!ended) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
