// Shop: the sample app Ferry promotes in its demo and tests. No dependencies, so a release
// folder runs as it is. release.json (or SHOP_FAIL_RATE) makes a release fail on purpose.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { databaseSummary, logger } = require('./settings');

const release = JSON.parse(fs.readFileSync(path.join(__dirname, 'release.json'), 'utf8'));
const failRate = Number(process.env.SHOP_FAIL_RATE ?? release.failRate ?? 0);
const slowMs = Number(process.env.SHOP_SLOW_MS ?? release.slowMs ?? 0);
const version = process.env.VERSION ?? 'dev';
const log = logger('web');
const database = databaseSummary();
let served = 0;

const server = http.createServer((request, response) => {
  const reply = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify(body)}\n`);
    log.debug(`${request.method} ${request.url} ${status}`);
  };
  if (request.url === '/healthz') return reply(200, { ok: true });
  if (request.url === '/version') return reply(200, { version, commit: process.env.COMMIT, release: release.name });
  // What this environment handed the shop; the database by host and name only.
  if (request.url === '/config') return reply(200, { environment: process.env.ENVIRONMENT, logLevel: log.level, database });
  // A release with `"checkoutBroken": true` serves its pages but not its checkout: only a test
  // that checks out (the end-to-end test in staging) sees it.
  if (request.url === '/checkout' && request.method === 'POST') {
    if (release.checkoutBroken) return reply(500, { error: `release ${release.name} cannot take orders`, version });
    return reply(201, { order: 'placed', version });
  }
  served += 1;
  // Every n-th request fails rather than a random one, so a 50% release fails exactly half.
  const failing = failRate > 0 && served % Math.round(1 / failRate) === 0;
  setTimeout(() => {
    if (failing) reply(500, { error: `release ${release.name} fails on purpose`, version });
    else reply(200, { shop: 'open', version, release: release.name });
  }, slowMs);
});

// Loopback unless told otherwise (the local target's proxy is on the same host); a pod listens on
// every interface, or its Service and readiness probe could not reach it (k8s/base/web.yaml).
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const where = database.configured ? `database ${database.name ?? '?'} on ${database.host ?? '?'}` : 'no database';
  log.info(`shop ${version} (${release.name}) on :${server.address().port}, ${where}`);
});

// Finish what is in flight, then exit: Ferry sends SIGTERM when it retires a version.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
