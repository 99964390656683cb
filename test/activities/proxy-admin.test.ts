// The local target's proxy answers every request on its control socket, even one whose handling
// fails: a failure there must not end the proxy, which carries the environment's traffic.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startProxy, type RunningProxy } from '../../activities/targets/local/proxy-server';
import { freePort } from '../helpers/shop';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-proxy-admin-'));
const socketPath = path.join(dir, 'proxy.sock');
let proxy: RunningProxy;

function ask(method: string, requestPath: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath, method, path: requestPath, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${requestPath}: no answer from the proxy`)));
    request.on('error', reject);
    request.end(body);
  });
}

beforeAll(async () => {
  proxy = await startProxy({ environment: 'dev', port: await freePort(), socketPath, routesFile: path.join(dir, 'routes.json') });
});

afterAll(async () => {
  await proxy?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a request the proxy cannot handle is answered 500, and the proxy goes on answering', async () => {
  // %E0 is not UTF-8: decoding the version's name throws.
  const broken = await ask('GET', '/stats/%E0');
  expect(broken.status).toBe(500);
  expect(JSON.parse(broken.body)).toEqual({ error: expect.stringContaining('URI') });
  const ping = await ask('GET', '/ping');
  expect(ping.status).toBe(200);
  expect(JSON.parse(ping.body)).toMatchObject({ environment: 'dev' });
});

test('a route table that cannot be written is answered 500, and the routes stay as they were', async () => {
  const routesFile = path.join(dir, 'routes.json');
  fs.mkdirSync(routesFile); // the rename onto it fails
  try {
    const put = await ask('PUT', '/routes', JSON.stringify({ stable: { version: 'shop:abc1234', port: 1 } }));
    expect(put.status).toBe(500);
    expect((await ask('GET', '/routes')).body).toBe('{}');
  } finally {
    fs.rmdirSync(routesFile);
  }
});
