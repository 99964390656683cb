// docker-compose.yml is only run by people with Docker, so nothing else would notice it drifting
// from Ferry: these checks read it (and the worker's Dockerfile) and hold it to the worker's
// settings, the search attributes the workflows write, and Ferry's default ports. Each check
// returns its problems; the second half edits copies of the file to show every check can fail.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'yaml';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { parseDuration } from '../../common/duration';
import { WORKER_ENV_VARS, workerSettings } from '../../worker/connection-options';
import { TELEMETRY_ENV_VARS, telemetrySettings } from '../../worker/telemetry/telemetry-settings';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_TEXT = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** Ferry's defaults: worker/connection-options.ts (frontend), `ferry dev --ui-port` and DESIGN.md (UI). */
/** Compose's own stop grace when a service names none (`docker compose stop` then SIGKILLs). */
const COMPOSE_DEFAULT_STOP_GRACE = '10s';
/** After FERRY_SHUTDOWN_GRACE, cancelled activities get this long to stop (worker/create-worker.ts, CANCEL_GRACE_MS). */
const WORKER_CANCEL_GRACE_MS = 30_000;
const FRONTEND_PORT = 7233;
const UI_PORT = 8233;
const POSTGRES_PORT = 5432;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  configs?: (string | { source: string; target?: string })[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string; file?: string }>;
}

type ReadFile = (file: string) => string;
const readRepoFile: ReadFile = (file) => fs.readFileSync(path.resolve(ROOT, file), 'utf8');

const load = (text: string): Compose => parse(text) as Compose;

function env(service: Service): Record<string, string> {
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, String(v)]),
  );
}

interface Port {
  hostIp?: string;
  published?: number;
  target: number;
}

function ports(service: Service): Port[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return { hostIp: port.host_ip, published: port.published === undefined ? undefined : Number(port.published), target: port.target };
    }
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : undefined;
    return { hostIp: parts.pop(), published, target };
  });
}

/** The shell the service runs: entrypoint and command, as one text. */
function script(service: Service): string {
  const words = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return [...words(service.entrypoint), ...words(service.command)].join('\n');
}

function dependsOn(service: Service): Record<string, string> {
  const raw = service.depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(raw).map(([name, d]) => [name, d.condition ?? 'service_started']));
}

/** The one service matching `test`; a problem names what is missing or ambiguous. */
function find(compose: Compose, what: string, test: (s: Service) => boolean): [string, Service] {
  const found = Object.entries(compose.services ?? {}).filter(([, s]) => test(s));
  if (found.length !== 1) throw new Error(`expected one ${what} service, found ${found.length}`);
  return found[0];
}

const byImage = (compose: Compose, repository: string) => find(compose, repository, (s) => (s.image ?? '').split(':')[0] === repository);
const worker = (compose: Compose) => find(compose, 'Ferry worker', (s) => /\bferry(\.js)?\s+worker\b/.test(script(s)));
const searchAttributeSetup = (compose: Compose) => find(compose, 'search attribute setup', (s) => /search-attribute\s+create/.test(script(s)));
const schemaSetup = (compose: Compose) => find(compose, 'schema setup', (s) => /temporal-sql-tool/.test(script(s)));

/** Runs a check; a missing or ambiguous service is a problem like any other. */
function problemsOf(check: () => string[]): string[] {
  try {
    return check();
  } catch (error) {
    return [(error as Error).message];
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

/** An exact version tag: no tag, `latest`, or a moving one (`16`, `20-bookworm`) is not pinned. */
function pinned(image: string): boolean {
  const name = image.split('@')[0];
  const colon = name.lastIndexOf(':');
  if (colon <= name.lastIndexOf('/')) return false;
  return /^v?\d+(\.\d+)+([-.+_][\w.-]+)?$/.test(name.slice(colon + 1));
}

function checkImagesPinned(compose: Compose, readFile: ReadFile = readRepoFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image !== undefined && !pinned(service.image)) problems.push(`${name}: image ${service.image} is not pinned to a version`);
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const dockerfile = path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      const froms = [...readFile(dockerfile).matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map((m) => m[1]);
      if (froms.length === 0) problems.push(`${name}: ${dockerfile} has no FROM`);
      for (const from of froms) if (!pinned(from)) problems.push(`${name}: ${dockerfile} builds FROM ${from}, not pinned to a version`);
    }
    if (service.image === undefined && service.build === undefined) problems.push(`${name}: neither image nor build`);
  }
  return problems;
}

function checkTemporalFrontend(compose: Compose): string[] {
  const problems: string[] = [];
  const [temporalName, temporal] = byImage(compose, 'temporalio/server');
  const listens = Number(env(temporal).FRONTEND_GRPC_PORT ?? FRONTEND_PORT);
  const published = ports(temporal).find((p) => p.target === listens);
  if (published?.published !== FRONTEND_PORT) {
    problems.push(`${temporalName}: the frontend (container port ${listens}) is published on ${published?.published}, not ${FRONTEND_PORT}`);
  }
  const inside = `${temporalName}:${listens}`;
  const [workerName, workerService] = worker(compose);
  if (env(workerService).TEMPORAL_ADDRESS !== inside) {
    problems.push(`${workerName}: TEMPORAL_ADDRESS is ${env(workerService).TEMPORAL_ADDRESS}, not ${inside}`);
  }
  // The dynamic config file the server is told to read is the one mounted.
  const dynamicConfig = env(temporal).DYNAMIC_CONFIG_FILE_PATH;
  if (dynamicConfig !== undefined) {
    const mounted = (temporal.configs ?? []).map((c) => (typeof c === 'string' ? { source: c, target: `/${c}` } : c));
    const mount = mounted.find((c) => c.target === dynamicConfig);
    if (!mount) problems.push(`${temporalName}: DYNAMIC_CONFIG_FILE_PATH ${dynamicConfig} is not mounted`);
    else if (!compose.configs?.[mount.source]) problems.push(`${temporalName}: config ${mount.source} is not defined`);
  }
  return problems;
}

const workerReads = (name: string): boolean => WORKER_ENV_VARS.includes(name) || TELEMETRY_ENV_VARS.includes(name);

function checkWorkerEnvironment(compose: Compose): string[] {
  const [name, service] = worker(compose);
  const variables = env(service);
  const problems = Object.keys(variables)
    .filter((variable) => !workerReads(variable))
    .map((variable) => `${name}: worker/connection-options.ts does not read ${variable}`);
  let settings;
  try {
    settings = workerSettings(variables);
    telemetrySettings(variables, false);
  } catch (error) {
    return [...problems, `${name}: workerSettings refuses the environment: ${(error as Error).message}`];
  }
  const expected = {
    address: variables.TEMPORAL_ADDRESS,
    namespace: variables.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: variables.FERRY_TASK_QUEUE ?? 'ferry',
  };
  for (const [key, value] of Object.entries(expected)) {
    if (settings[key as keyof typeof expected] !== value) problems.push(`${name}: workerSettings gives ${key} ${settings[key as keyof typeof expected]}, not ${value}`);
  }
  if (!path.isAbsolute(variables.FERRY_STATE_DIR ?? '')) problems.push(`${name}: FERRY_STATE_DIR should be an absolute path on the volume`);
  if (settings.tls !== undefined || settings.apiKey !== undefined) problems.push(`${name}: the compose Temporal has no TLS or API key`);
  return problems;
}

/**
 * SIGTERM drains the worker for FERRY_SHUTDOWN_GRACE, then gives cancelled activities half a
 * minute; compose must wait longer than both, or `docker compose stop` kills it mid-step. The
 * grace must be set in `environment` (which the env_file cannot override), so what is compared
 * is what the worker gets.
 */
function checkStopGrace(compose: Compose): string[] {
  const [name, service] = worker(compose);
  const variables = env(service);
  if (variables.FERRY_SHUTDOWN_GRACE === undefined) return [`${name}: FERRY_SHUTDOWN_GRACE is not set, so .ferry/worker.env could raise it above stop_grace_period`];
  let graceMs: number;
  try {
    graceMs = workerSettings(variables).shutdownGraceMs;
  } catch (error) {
    return [`${name}: workerSettings refuses the environment: ${(error as Error).message}`];
  }
  const stop = service.stop_grace_period ?? COMPOSE_DEFAULT_STOP_GRACE;
  const stopMs = parseDuration(String(stop));
  if (stopMs === undefined) return [`${name}: stop_grace_period ${stop} is not a duration`];
  if (stopMs <= graceMs + WORKER_CANCEL_GRACE_MS) {
    return [`${name}: stop_grace_period ${stop} does not exceed FERRY_SHUTDOWN_GRACE ${variables.FERRY_SHUTDOWN_GRACE} plus 30s for cancelled steps to stop`];
  }
  return [];
}

/** `--name X --type Y` pairs of the `search-attribute create` command (with its `\` continuations). */
function registeredSearchAttributes(text: string): Map<string, string> {
  const start = text.search(/search-attribute\s+create/);
  if (start < 0) return new Map();
  let command = '';
  for (const line of text.slice(start).split('\n')) {
    command += ` ${line.replace(/\\\s*$/, '')}`;
    if (!/\\\s*$/.test(line)) break;
  }
  return new Map([...command.matchAll(/--name\s+(\S+)\s+--type\s+(\S+)/g)].map((m) => [m[1], m[2]]));
}

const sameType = (cli: string, sdk: string) => cli.toUpperCase() === sdk.replace(/_/g, '');

function checkSearchAttributes(compose: Compose): string[] {
  const problems: string[] = [];
  const [name, service] = searchAttributeSetup(compose);
  const text = script(service);
  const registered = registeredSearchAttributes(text);
  const expected = new Map<string, string>(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]));
  for (const [attribute, type] of expected) {
    const cliType = registered.get(attribute);
    if (cliType === undefined) problems.push(`${name}: does not register ${attribute}`);
    else if (!sameType(cliType, type)) problems.push(`${name}: registers ${attribute} as ${cliType}, the workflows write ${type}`);
  }
  for (const attribute of registered.keys()) {
    if (!expected.has(attribute)) problems.push(`${name}: registers ${attribute}, which common/search-attributes.ts does not define`);
  }
  // In the namespace the worker serves, which this service also creates, on the same server.
  const [, workerService] = worker(compose);
  const namespace = env(workerService).TEMPORAL_NAMESPACE ?? 'default';
  const namespacesUsed = [...text.matchAll(/--namespace\s+(\S+)/g)].map((m) => m[1]);
  if (namespacesUsed.length === 0 || namespacesUsed.some((n) => n !== namespace)) {
    problems.push(`${name}: works in namespace(s) ${[...new Set(namespacesUsed)].join(', ') || 'none'}, the worker in ${namespace}`);
  }
  if (!new RegExp(`namespace\\s+create\\s+--namespace\\s+${namespace}\\b`).test(text)) problems.push(`${name}: does not create namespace ${namespace}`);
  if (env(service).TEMPORAL_ADDRESS !== env(workerService).TEMPORAL_ADDRESS) {
    problems.push(`${name}: TEMPORAL_ADDRESS ${env(service).TEMPORAL_ADDRESS} differs from the worker's`);
  }
  return problems;
}

function checkWebUi(compose: Compose): string[] {
  const problems: string[] = [];
  const [name, ui] = byImage(compose, 'temporalio/ui');
  const [temporalName] = byImage(compose, 'temporalio/server');
  const variables = env(ui);
  const listens = Number(variables.TEMPORAL_UI_PORT ?? 8080);
  const published = ports(ui).find((p) => p.target === listens);
  if (published?.published !== UI_PORT) problems.push(`${name}: the UI (container port ${listens}) is published on ${published?.published}, not ${UI_PORT}`);
  if (variables.TEMPORAL_ADDRESS !== `${temporalName}:${FRONTEND_PORT}`) problems.push(`${name}: TEMPORAL_ADDRESS is ${variables.TEMPORAL_ADDRESS}`);
  // Approvers send signals from the UI; it refuses writes from origins it was not told about.
  const origins = (variables.TEMPORAL_CORS_ORIGINS ?? 'http://localhost:8080').split(',').map((o) => o.trim());
  if (!origins.includes(`http://localhost:${UI_PORT}`)) problems.push(`${name}: TEMPORAL_CORS_ORIGINS lacks http://localhost:${UI_PORT}`);
  return problems;
}

function checkPostgres(compose: Compose): string[] {
  const problems: string[] = [];
  const [pgName, pg] = byImage(compose, 'postgres');
  const pgEnv = env(pg);
  const user = pgEnv.POSTGRES_USER ?? 'postgres';
  const password = pgEnv.POSTGRES_PASSWORD;
  const pgPort = ports(pg).find((p) => p.target === POSTGRES_PORT);
  if (pgPort?.published !== POSTGRES_PORT) problems.push(`${pgName}: PostgreSQL is published on ${pgPort?.published}, not ${POSTGRES_PORT}`);
  const expect = (where: string, what: string, actual: string | undefined, wanted: string | undefined) => {
    if (actual !== wanted) problems.push(`${where}: ${what} is ${actual}, the postgres service has ${wanted}`);
  };

  const [temporalName, temporal] = byImage(compose, 'temporalio/server');
  const t = env(temporal);
  if (!['postgres12', 'postgres12_pgx'].includes(t.DB)) problems.push(`${temporalName}: DB is ${t.DB}, not a PostgreSQL plugin`);
  expect(temporalName, 'POSTGRES_SEEDS', t.POSTGRES_SEEDS, pgName);
  expect(temporalName, 'DB_PORT', t.DB_PORT ?? '5432', String(POSTGRES_PORT));
  expect(temporalName, 'POSTGRES_USER', t.POSTGRES_USER, user);
  expect(temporalName, 'POSTGRES_PWD', t.POSTGRES_PWD, password);

  const [schemaName, schema] = schemaSetup(compose);
  const s = env(schema);
  expect(schemaName, 'SQL_PLUGIN', s.SQL_PLUGIN, t.DB);
  expect(schemaName, 'SQL_HOST', s.SQL_HOST, pgName);
  expect(schemaName, 'SQL_PORT', s.SQL_PORT, String(POSTGRES_PORT));
  expect(schemaName, 'SQL_USER', s.SQL_USER, user);
  expect(schemaName, 'SQL_PASSWORD', s.SQL_PASSWORD, password);
  // It creates and migrates exactly the databases the server opens.
  const text = script(schema);
  for (const [database, schemaDir] of [
    [t.DBNAME ?? 'temporal', 'temporal'],
    [t.VISIBILITY_DBNAME ?? 'temporal_visibility', 'visibility'],
  ]) {
    for (const step of ['create', 'setup-schema', `update-schema -d /etc/temporal/schema/postgresql/v12/${schemaDir}/versioned`]) {
      if (!text.includes(`--db ${database} ${step}`)) problems.push(`${schemaName}: does not run \`--db ${database} ${step}\``);
    }
  }
  return problems;
}

function checkStartOrder(compose: Compose): string[] {
  const problems: string[] = [];
  const [pgName, pg] = byImage(compose, 'postgres');
  const [temporalName, temporal] = byImage(compose, 'temporalio/server');
  const [uiName, ui] = byImage(compose, 'temporalio/ui');
  const [schemaName, schema] = schemaSetup(compose);
  const [setupName, setup] = searchAttributeSetup(compose);
  const [workerName, workerService] = worker(compose);
  for (const [name, service] of [
    [pgName, pg],
    [temporalName, temporal],
  ] as const) {
    if (!service.healthcheck?.test || service.healthcheck.disable) problems.push(`${name}: has no health check`);
  }
  const needs = (name: string, service: Service, on: string, condition: string) => {
    if (dependsOn(service)[on] !== condition) problems.push(`${name}: should depend on ${on} with ${condition}`);
  };
  needs(schemaName, schema, pgName, 'service_healthy');
  needs(temporalName, temporal, schemaName, 'service_completed_successfully');
  needs(setupName, setup, temporalName, 'service_healthy');
  needs(uiName, ui, temporalName, 'service_healthy');
  needs(workerName, workerService, temporalName, 'service_healthy');
  needs(workerName, workerService, setupName, 'service_completed_successfully');
  return problems;
}

/** The command of a health check, as one text. */
const healthCommand = (service: Service): string => {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
};

/**
 * The worker serves metrics on all the container's addresses (127.0.0.1 inside a container is
 * out of reach of the published port), the port is published on the host's loopback, and the
 * health check asks that port for a series only a polling worker reports.
 */
function checkWorkerMetrics(compose: Compose): string[] {
  const [name, service] = worker(compose);
  let address: string | undefined;
  try {
    address = telemetrySettings(env(service), false).metricsAddress;
  } catch (error) {
    return [`${name}: ${(error as Error).message}`];
  }
  if (address === undefined) return [`${name}: FERRY_METRICS_ADDRESS is not set, so the worker serves no metrics`];
  const problems: string[] = [];
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  if (!['0.0.0.0', '[::]'].includes(host)) problems.push(`${name}: FERRY_METRICS_ADDRESS ${address} is not reachable from outside the container (bind 0.0.0.0)`);
  const published = ports(service).find((p) => p.target === port);
  if (published?.published === undefined) problems.push(`${name}: the metrics port ${port} is not published`);
  else if (published.hostIp !== '127.0.0.1') problems.push(`${name}: the metrics port is published on ${published.hostIp ?? 'every address'}, not 127.0.0.1`);
  const health = healthCommand(service);
  if (!health || service.healthcheck?.disable) problems.push(`${name}: has no health check`);
  else if (!health.includes(`:${port}/metrics`)) problems.push(`${name}: the health check does not ask the metrics port ${port}`);
  return problems;
}

const CHECKS = {
  images: checkImagesPinned,
  frontend: checkTemporalFrontend,
  workerEnv: checkWorkerEnvironment,
  searchAttributes: checkSearchAttributes,
  ui: checkWebUi,
  postgres: checkPostgres,
  startOrder: checkStartOrder,
  stopGrace: checkStopGrace,
  workerMetrics: checkWorkerMetrics,
} satisfies Record<string, (compose: Compose) => string[]>;

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const compose = load(COMPOSE_TEXT);

  it('pins every image, and the worker Dockerfile its base, to an exact version', () => {
    expect(problemsOf(() => checkImagesPinned(compose))).toEqual([]);
  });

  it(`publishes the Temporal frontend on ${FRONTEND_PORT}, and the worker connects to the temporal service on it`, () => {
    expect(problemsOf(() => checkTemporalFrontend(compose))).toEqual([]);
  });

  it('gives the worker only variables workerSettings reads, and they parse', () => {
    expect(problemsOf(() => checkWorkerEnvironment(compose))).toEqual([]);
    const [, service] = worker(compose);
    expect(workerSettings(env(service))).toMatchObject({
      address: 'temporal:7233',
      namespace: 'default',
      taskQueue: 'ferry',
      stateDir: '/var/lib/ferry/environments',
    });
  });

  it('registers exactly the search attributes of common/search-attributes.ts, in the namespace the worker serves', () => {
    expect(problemsOf(() => checkSearchAttributes(compose))).toEqual([]);
    const [, setup] = searchAttributeSetup(compose);
    expect([...registeredSearchAttributes(script(setup)).keys()].sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });

  it(`serves the Web UI on ${UI_PORT}, as \`ferry dev\` does, and lets it send signals`, () => {
    expect(problemsOf(() => checkWebUi(compose))).toEqual([]);
  });

  it("points Temporal and its schema setup at the postgres service with that service's login", () => {
    expect(problemsOf(() => checkPostgres(compose))).toEqual([]);
  });

  it('starts the worker only once Temporal is healthy and set up', () => {
    expect(problemsOf(() => checkStartOrder(compose))).toEqual([]);
  });

  it("lets the worker drain: stop_grace_period exceeds its FERRY_SHUTDOWN_GRACE and the cancelled steps' half minute", () => {
    expect(problemsOf(() => checkStopGrace(compose))).toEqual([]);
  });

  it("publishes the worker's metrics port on 127.0.0.1 and checks the worker's health on it", () => {
    expect(problemsOf(() => checkWorkerMetrics(compose))).toEqual([]);
  });

  it("the worker's health check, run by node against a stand-in /metrics: healthy only once task slots are reported", async () => {
    const [, service] = worker(compose);
    const test = service.healthcheck!.test as string[];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    const check = async (body: string | undefined) => {
      const server = http.createServer((_request, response) => (body === undefined ? response.writeHead(500).end() : response.end(body)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const script = test[3].replace(':9464/', `:${port}/`);
      const code = await new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', script], { stdio: 'ignore' }).once('exit', resolve));
      await new Promise((resolve) => server.close(resolve));
      return code;
    };
    expect(await check('temporal_worker_task_slots_available{worker_type="WorkflowWorker"} 100\n')).toBe(0);
    expect(await check('temporal_request{operation="DescribeNamespace"} 1\n')).toBe(1);
    expect(await check(undefined)).toBe(1);
  });
});

describe('the docker-compose.yml checks fail on a broken copy', () => {
  /** A copy of the file with `from` replaced; fails if `from` is not there, so no edit is a no-op. */
  function edited(from: string | RegExp, to: string): Compose {
    const text = COMPOSE_TEXT.replace(from, to);
    if (text === COMPOSE_TEXT) throw new Error(`the edit found no ${from}`);
    return load(text);
  }
  /** A parsed copy changed by `change`. */
  function changed(change: (compose: Compose) => void): Compose {
    const copy = load(COMPOSE_TEXT);
    change(copy);
    return copy;
  }
  const workerEnv = (c: Compose) => worker(c)[1].environment as Record<string, string>;

  const cases: [string, keyof typeof CHECKS, () => Compose, RegExp][] = [
    ['an image on latest', 'images', () => edited(/image: postgres:\S+/, 'image: postgres:latest'), /postgres:latest is not pinned/],
    ['an image without a tag', 'images', () => edited(/image: temporalio\/ui:\S+/, 'image: temporalio/ui'), /temporalio\/ui is not pinned/],
    ['an image on a major version only', 'images', () => edited(/image: temporalio\/server:\S+/, 'image: temporalio/server:1'), /temporalio\/server:1 is not pinned/],
    ['the frontend published elsewhere', 'frontend', () => edited('"127.0.0.1:7233:7233"', '"127.0.0.1:17233:7233"'), /published on 17233/],
    ['the worker pointed at another port', 'frontend', () => changed((c) => (workerEnv(c).TEMPORAL_ADDRESS = 'temporal:7234')), /TEMPORAL_ADDRESS is temporal:7234/],
    ['the worker pointed at localhost', 'frontend', () => changed((c) => (workerEnv(c).TEMPORAL_ADDRESS = 'localhost:7233')), /TEMPORAL_ADDRESS is localhost:7233/],
    ['a misspelt worker variable', 'workerEnv', () => edited('TEMPORAL_NAMESPACE: default', 'TEMPORAL_NAMESPCE: default'), /does not read TEMPORAL_NAMESPCE/],
    ['a variable the worker ignores', 'workerEnv', () => changed((c) => (workerEnv(c).FERRY_QUEUE = 'ferry')), /does not read FERRY_QUEUE/],
    ['a value workerSettings refuses', 'workerEnv', () => changed((c) => (workerEnv(c).TEMPORAL_TLS_KEY = '/run/secrets/key.pem')), /refuses the environment/],
    ['a search attribute left out', 'searchAttributes', () => edited(/\s+--name FerryStage --type Keyword \\/, ''), /does not register FerryStage/],
    ['a search attribute of another type', 'searchAttributes', () => edited('--name FerryApp --type Keyword', '--name FerryApp --type Text'), /registers FerryApp as Text/],
    [
      'a search attribute Ferry does not define',
      'searchAttributes',
      () => edited('--name FerryState --type Keyword', '--name FerryState --type Keyword \\\n            --name FerryTeam --type Keyword'),
      /registers FerryTeam/,
    ],
    [
      'search attributes in another namespace',
      'searchAttributes',
      () => edited('search-attribute create --namespace default', 'search-attribute create --namespace ferry'),
      /namespace\(s\) default, ferry/,
    ],
    ['the UI on 8080', 'ui', () => edited('"127.0.0.1:8233:8233"', '"127.0.0.1:8080:8233"'), /published on 8080/],
    ['the UI listening on another port', 'ui', () => edited('TEMPORAL_UI_PORT: "8233"', 'TEMPORAL_UI_PORT: "8080"'), /container port 8080\) is published on undefined/],
    ['the UI refusing its own origin', 'ui', () => edited(/\n\s+TEMPORAL_CORS_ORIGINS: .*/, ''), /TEMPORAL_CORS_ORIGINS lacks/],
    ['Temporal with another password', 'postgres', () => edited('POSTGRES_PWD: temporal', 'POSTGRES_PWD: secret'), /POSTGRES_PWD is secret/],
    ['Temporal looking for another host', 'postgres', () => edited('POSTGRES_SEEDS: postgresql', 'POSTGRES_SEEDS: postgres'), /POSTGRES_SEEDS is postgres,/],
    ['Temporal on another port', 'postgres', () => edited('DB_PORT: "5432"', 'DB_PORT: "5433"'), /DB_PORT is 5433/],
    ['the schema setup with another password', 'postgres', () => edited('SQL_PASSWORD: temporal', 'SQL_PASSWORD: secret'), /SQL_PASSWORD is secret/],
    ['a visibility database nobody creates', 'postgres', () => edited('VISIBILITY_DBNAME: temporal_visibility', 'VISIBILITY_DBNAME: visibility'), /--db visibility create/],
    ['PostgreSQL published elsewhere', 'postgres', () => edited('"127.0.0.1:5432:5432"', '"127.0.0.1:15432:5432"'), /published on 15432/],
    ['a worker that does not wait for the setup', 'startOrder', () => changed((c) => delete (worker(c)[1].depends_on as Record<string, unknown>)['temporal-setup']), /should depend on temporal-setup/],
    ['a stop grace lowered under the drain', 'stopGrace', () => changed((c) => (worker(c)[1].stop_grace_period = '5m')), /stop_grace_period 5m does not exceed FERRY_SHUTDOWN_GRACE/],
    ['no stop grace (compose waits 10s)', 'stopGrace', () => changed((c) => delete worker(c)[1].stop_grace_period), /stop_grace_period 10s does not exceed/],
    ['a drain raised above the stop grace', 'stopGrace', () => changed((c) => (workerEnv(c).FERRY_SHUTDOWN_GRACE = '1h')), /does not exceed FERRY_SHUTDOWN_GRACE 1h/],
    ['the drain left to the env_file', 'stopGrace', () => changed((c) => delete workerEnv(c).FERRY_SHUTDOWN_GRACE), /FERRY_SHUTDOWN_GRACE is not set/],
    ['worker metrics turned off', 'workerMetrics', () => changed((c) => delete workerEnv(c).FERRY_METRICS_ADDRESS), /FERRY_METRICS_ADDRESS is not set/],
    ['worker metrics on the container loopback', 'workerMetrics', () => changed((c) => (workerEnv(c).FERRY_METRICS_ADDRESS = '127.0.0.1:9464')), /not reachable from outside the container/],
    ['worker metrics on a port not published', 'workerMetrics', () => edited('"127.0.0.1:9464:9464"', '"127.0.0.1:9465:9465"'), /metrics port 9464 is not published/],
    ['worker metrics published on every address', 'workerMetrics', () => edited('"127.0.0.1:9464:9464"', '"9464:9464"'), /published on every address/],
    ['a worker health check on another port', 'workerMetrics', () => edited("fetch('http://127.0.0.1:9464/metrics')", "fetch('http://127.0.0.1:9000/metrics')"), /does not ask the metrics port 9464/],
    ['a worker without a health check', 'workerMetrics', () => changed((c) => delete worker(c)[1].healthcheck), /ferry-worker: has no health check/],
    ['Temporal without a health check', 'startOrder', () => changed((c) => delete byImage(c, 'temporalio/server')[1].healthcheck), /temporal: has no health check/],
  ];

  it.each(cases)('%s', (_name, check, broken, message) => {
    expect(problemsOf(() => CHECKS[check](broken()))).toContainEqual(expect.stringMatching(message));
  });

  it('a worker image built from a moving base', () => {
    const dockerfile = readRepoFile('docker/worker.Dockerfile').replace(/^FROM node:\S+/m, 'FROM node:20-bookworm-slim');
    const problems = checkImagesPinned(load(COMPOSE_TEXT), (file) => (file.endsWith('worker.Dockerfile') ? dockerfile : readRepoFile(file)));
    expect(problems).toContainEqual(expect.stringMatching(/FROM node:20-bookworm-slim, not pinned/));
  });
});
