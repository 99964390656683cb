// The shop's smoke test, run by Ferry after each deploy (verify) against the version just
// deployed: FERRY_URL is that version's own address, VERSION what it should say it runs.
const assert = require('node:assert');

async function get(path) {
  const response = await fetch(new URL(path, process.env.FERRY_URL), { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.json() };
}

async function main() {
  assert.ok(process.env.FERRY_URL, 'FERRY_URL is set by Ferry');
  const health = await get('/healthz');
  assert.strictEqual(health.status, 200, `/healthz answers ${health.status}`);
  const version = await get('/version');
  assert.strictEqual(version.body.version, process.env.VERSION, `the version at ${process.env.FERRY_URL} is ${version.body.version}`);
  console.log(`smoke: ${process.env.VERSION} answers at ${process.env.FERRY_URL} in ${process.env.ENVIRONMENT}`);
}

main().catch((error) => {
  console.error(`smoke: ${error.message}`);
  process.exit(1);
});
