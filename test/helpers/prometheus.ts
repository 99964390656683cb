// A real Prometheus for tests: the binary scripts/bootstrap-tools.js found (PATH, or Debian's
// package unpacked into .tools), on a free port, with a data folder of its own, scraping the given
// targets every second.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { tempDir } from './git-repo';
import { startLogged } from './logged-process';
import { answersOk, freePort } from '../../activities/targets/local/probes';
import { toolPaths } from './tools';

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

/** The Prometheus binary recorded by `npm run tools`, or a clear error saying how to get one. */
export function prometheusBinary(): string {
  const binary = toolPaths().prometheus;
  if (!binary) {
    throw new Error(
      'no Prometheus binary is recorded in .tools/tools.json: run `npm run tools` (npm test does it for you) ' +
        "and read its warning; it takes prometheus from PATH, or downloads Debian's package with apt-get.",
    );
  }
  if (!fs.existsSync(binary)) throw new Error(`${binary} (from .tools/tools.json) is gone: run \`npm run tools\` again`);
  return binary;
}

/** Starts Prometheus scraping `targets` ("host:port", served at /metrics) every second; waits until it is ready. */
export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  const dir = tempDir('prometheus');
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: ferry',
      '    static_configs:',
      `      - targets: ${JSON.stringify(targets)}`,
      '',
    ].join('\n'),
  );
  // The free port can be taken between freePort() and Prometheus binding it: then try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const logFile = path.join(dir, `prometheus-${attempt}.log`);
    const prometheus = startLogged(binary, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], logFile);
    const url = `http://127.0.0.1:${port}`;
    const stop = () => prometheus.stop();
    for (const giveUpAt = Date.now() + START_TIMEOUT_MS; !prometheus.exited() && Date.now() < giveUpAt; await delay(POLL_MS)) {
      if (await answersOk(`${url}/-/ready`)) return { url, stop };
    }
    await stop();
    const output = prometheus.tail();
    if (attempt < 3 && /address already in use/.test(output)) continue;
    throw new Error(`Prometheus (${binary}) ${prometheus.exited() ?? `was not ready within ${START_TIMEOUT_MS} ms`}:\n${output}`);
  }
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * Polls an instant query until it returns data (a non-empty vector, or a finite scalar), e.g. until
 * the first scrapes of a version's traffic are in; fails with the last answer after `timeoutMs`.
 * A query Prometheus rejects fails at once: it would never have data.
 */
export async function waitForData(prometheusUrl: string, query: string, timeoutMs = 30_000): Promise<Sample[]> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);
  let last = '(no answer yet)';
  for (const giveUpAt = Date.now() + timeoutMs; Date.now() < giveUpAt; await delay(POLL_MS)) {
    let answer: PromAnswer;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      answer = (await response.json()) as PromAnswer;
    } catch (error) {
      last = `no answer: ${(error as Error).message}`;
      continue;
    }
    if (answer.status !== 'success') throw new Error(`Prometheus rejected ${query}: ${answer.error}`);
    const samples: Sample[] =
      answer.data.resultType === 'scalar'
        ? [{ metric: {}, value: Number(answer.data.result[1]) }]
        : answer.data.result.map((r: { metric: Record<string, string>; value: [number, string] }) => ({ metric: r.metric, value: Number(r.value[1]) }));
    const withData = samples.filter((s) => Number.isFinite(s.value));
    if (withData.length > 0) return withData;
    last = JSON.stringify(answer.data);
  }
  throw new Error(`${query} had no data within ${timeoutMs} ms; last answer: ${last}`);
}

type PromAnswer =
  | { status: 'success'; data: { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }> } | { resultType: 'scalar'; result: [number, string] } }
  | { status: 'error'; error: string };
