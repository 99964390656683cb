// Shop's background worker, a process of each version beside the web server (the local
// target's `processes`): every few seconds it ships the orders placed since its last round.
// It has no port; Ferry judges it by its staying up. With SHOP_WORKER_CRASH=1 its first round
// crashes on purpose, after the version has started: the failure analysis must catch.
const { databaseSummary, logger } = require('./settings');

const log = logger('worker');
const DEFAULT_INTERVAL_MS = 5_000;
const interval = Number(process.env.SHOP_WORKER_INTERVAL_MS ?? DEFAULT_INTERVAL_MS);
const intervalMs = Number.isFinite(interval) && interval >= 100 && interval <= 3_600_000 ? interval : DEFAULT_INTERVAL_MS;
const url = process.env.DATABASE_URL;
const pg = url ? optionalPg() : undefined;
let client;
let timer;
let stopping = false;

/**
 * `pg` when Node finds it from the release folder (a release folder holds the commit's files,
 * not node_modules): without it the worker cannot reach the database and says so, once.
 */
function optionalPg() {
  try {
    return require('pg');
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    return undefined;
  }
}

/** Placed orders become shipped, at most 100 a round; a second worker skips the rows this one holds. */
async function shipOrders() {
  if (!client) {
    client = new pg.Client({ connectionString: url });
    // A lost connection is reported on the next query: a round's failure, not a crash.
    client.on('error', () => undefined);
    await client.connect();
  }
  const result = await client.query(
    `UPDATE orders SET status = 'shipped'
      WHERE id IN (SELECT id FROM orders WHERE status = 'placed' ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)`,
  );
  return result.rowCount;
}

async function round() {
  if (process.env.SHOP_WORKER_CRASH === '1') {
    log.error('crashing on purpose (SHOP_WORKER_CRASH=1)');
    process.exit(1);
  }
  if (!pg) {
    log.debug('round done: no database to ship from');
  } else {
    try {
      const shipped = await shipOrders();
      log[shipped > 0 ? 'info' : 'debug'](`shipped ${shipped} order(s)`);
    } catch (error) {
      // The database may be down or not migrated yet: try again next round. pg's messages name
      // the host and user at most, never the password.
      log.error(`could not ship orders: ${error.message}`);
      client?.end().catch(() => undefined);
      client = undefined;
    }
  }
  if (!stopping) timer = setTimeout(round, intervalMs);
}

const database = databaseSummary(url);
if (!database.configured) log.info(`shop worker ${process.env.VERSION ?? 'dev'}: no DATABASE_URL, nothing to ship`);
else if (!pg) log.warn(`shop worker ${process.env.VERSION ?? 'dev'}: the pg package is not installed where the release runs, cannot reach database ${database.name ?? '?'}`);
else log.info(`shop worker ${process.env.VERSION ?? 'dev'}: shipping orders from database ${database.name ?? '?'} on ${database.host ?? '?'} every ${intervalMs} ms`);
timer = setTimeout(round, intervalMs);

// Ferry sends SIGTERM when it retires a version: finish, close the connection, exit 0.
process.on('SIGTERM', () => {
  stopping = true;
  clearTimeout(timer);
  Promise.resolve(client?.end())
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
