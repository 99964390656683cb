// The shop's own checks, run by Ferry's test step before anything is deployed.
const assert = require('node:assert');
const fs = require('node:fs');
const { databaseSummary, logger } = require('./settings');

const release = JSON.parse(fs.readFileSync(`${__dirname}/release.json`, 'utf8'));
assert.ok(typeof release.name === 'string' && release.name.length > 0, 'release.json needs a name');
assert.ok(release.failRate >= 0 && release.failRate <= 1, 'failRate is between 0 and 1');
assert.ok(release.checkoutBroken === undefined || typeof release.checkoutBroken === 'boolean', 'checkoutBroken is true or false');
for (const file of fs.readdirSync(`${__dirname}/migrations`)) {
  assert.match(file, /^\d+_[a-z_]+\.(up|down)\.sql$/, `${file} is a migration file name`);
}

// The database is told by host and name, never with its user or password.
const summary = databaseSummary('postgres://shop:pa55word@db.internal:5432/shop_staging');
assert.deepStrictEqual(summary, { configured: true, host: 'db.internal:5432', name: 'shop_staging' });
assert.deepStrictEqual(databaseSummary(''), { configured: false });
assert.deepStrictEqual(databaseSummary('not a url with pa55word'), { configured: true });

// LOG_LEVEL picks what is logged; an unknown level logs at info and says so.
const printed = [];
const [log, error] = [console.log, console.error];
console.log = console.error = (line) => printed.push(line);
try {
  const quiet = logger('test', 'warn');
  quiet.info('not printed');
  quiet.warn('printed');
  assert.strictEqual(logger('test', 'loud').level, 'info');
  assert.strictEqual(logger('test', undefined).level, 'info');
  assert.strictEqual(logger('test', 'DEBUG').level, 'debug');
} finally {
  [console.log, console.error] = [log, error];
}
assert.deepStrictEqual(printed, ['warn test: printed', 'warn test: LOG_LEVEL "loud" is not one of debug, info, warn, error: logging at info']);
console.log('shop: all checks passed');
