// The shop's end-to-end test, run by Ferry in staging against the version just deployed (the
// canary alone, at each canary step): a customer's visit from the front page to the checkout.
const assert = require('node:assert');

async function request(path, init = {}) {
  const response = await fetch(new URL(path, process.env.FERRY_URL), { ...init, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return { status: response.status, text };
}

async function main() {
  const front = await request('/');
  assert.strictEqual(front.status, 200, `the front page answers ${front.status}: ${front.text.trim()}`);
  const checkout = await request('/checkout', { method: 'POST', body: JSON.stringify({ item: 'umbrella', quantity: 1 }) });
  assert.strictEqual(checkout.status, 201, `POST /checkout answers ${checkout.status}: ${checkout.text.trim()}`);
  console.log(`e2e: front page and checkout work on ${process.env.VERSION} in ${process.env.ENVIRONMENT}`);
}

main().catch((error) => {
  console.error(`e2e: ${error.message}`);
  process.exit(1);
});
