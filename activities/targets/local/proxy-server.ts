// The local target's front door: one small HTTP proxy per environment, on the environment's
// port, splitting traffic between the stable version and a canary by weight. It runs as its own
// process so traffic keeps flowing while workers restart; the target steers it over a Unix
// socket that only this machine's users can reach.
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { routesSchema, versionsWithNewShare, WeightedPicker, type Backend, type Routes } from './routes';
import { TrafficStats } from './traffic-stats';

export interface ProxySettings {
  environment: string;
  port: number;
  metricsPort?: number;
  socketPath: string;
  routesFile: string;
}

export const VERSION_HEADER = 'x-ferry-version';

export interface RunningProxy {
  close(): Promise<void>;
}

export async function startProxy(settings: ProxySettings): Promise<RunningProxy> {
  let routes = loadRoutes(settings.routesFile);
  const stats = new TrafficStats();
  const picker = new WeightedPicker();

  const front = http.createServer((request, response) => {
    const backend = picker.pick(routes);
    if (!backend) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(`no version of ${settings.environment} is running\n`);
      return;
    }
    forward(request, response, backend, stats);
  });

  const admin = http.createServer((request, response) => {
    const reply = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    // A request whose handling fails (a name that does not decode, a table that cannot be written)
    // gets its answer; the proxy, which carries the environment's traffic, goes on.
    answer(request, reply).catch((error: unknown) => {
      if (!response.headersSent) reply(500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });

  async function answer(request: http.IncomingMessage, reply: (status: number, body: unknown) => void): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://proxy');
    if (request.method === 'GET' && url.pathname === '/routes') return reply(200, routes);
    if (request.method === 'PUT' && url.pathname === '/routes') {
      const parsed = routesSchema.safeParse(await readJson(request));
      if (!parsed.success) return reply(400, { error: parsed.error.message });
      for (const version of versionsWithNewShare(routes, parsed.data)) stats.reset(version);
      writeRoutes(settings.routesFile, parsed.data);
      routes = parsed.data;
      return reply(200, routes);
    }
    const version = url.pathname.startsWith('/stats/') ? decodeURIComponent(url.pathname.slice('/stats/'.length)) : undefined;
    if (request.method === 'GET' && version) return reply(200, stats.window(version, Number(url.searchParams.get('windowMs') ?? 60_000)));
    if (request.method === 'GET' && url.pathname === '/ping') return reply(200, { pid: process.pid, environment: settings.environment });
    reply(404, { error: `no ${request.method} ${url.pathname}` });
  }

  const metrics =
    settings.metricsPort === undefined
      ? undefined
      : http.createServer((_, response) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(stats.exposition(settings.environment)));

  fs.rmSync(settings.socketPath, { force: true }); // left by a proxy that was killed
  await listen(front, settings.port, '0.0.0.0');
  await listen(admin, settings.socketPath);
  fs.chmodSync(settings.socketPath, 0o600);
  if (metrics) await listen(metrics, settings.metricsPort!, '0.0.0.0');

  return {
    close: async () => {
      await Promise.all([front, admin, metrics].filter((s): s is http.Server => s !== undefined).map(closeServer));
    },
  };
}

function forward(request: http.IncomingMessage, response: http.ServerResponse, backend: Backend, stats: TrafficStats): void {
  const started = performance.now();
  let status: number | undefined;
  stats.started(backend.version);

  const upstream = http.request({ host: '127.0.0.1', port: backend.port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
    status = answer.statusCode ?? 502;
    response.writeHead(status, { ...answer.headers, [VERSION_HEADER]: backend.version });
    answer.pipe(response);
  });
  upstream.once('error', (error) => {
    if (response.destroyed) return; // the client left first: nothing to answer
    // A version that refuses connections is failing: that counts against it, like a 5xx.
    status ??= 502;
    if (!response.headersSent) {
      response.writeHead(502, { 'content-type': 'text/plain', [VERSION_HEADER]: backend.version });
      response.end(`${backend.version} did not answer: ${error.message}\n`);
    } else {
      response.destroy(error);
    }
  });
  response.once('close', () => {
    // A client that hangs up before the version answered says nothing about the version.
    if (!response.writableFinished) upstream.destroy();
    stats.finished(backend.version, status, performance.now() - started);
  });
  request.pipe(upstream);
}

function loadRoutes(file: string): Routes {
  try {
    return routesSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${file}: not a route table the proxy can use: ${(error as Error).message}`);
  }
}

/** Written aside and renamed: a proxy killed mid-write still finds the old table, never half of one. */
function writeRoutes(file: string, routes: Routes): void {
  const aside = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(aside, JSON.stringify(routes, null, 2));
  fs.renameSync(aside, file);
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function listen(server: http.Server, ...where: [number, string] | [string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(where as [number, string]), () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
