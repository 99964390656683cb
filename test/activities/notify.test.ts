// The webhook notification against a real local HTTP server, alone and inside a promotion.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { notifyActivities } from '../../activities/notify';
import { approveSignal } from '../../common/messages';
import { samplePlan } from '../helpers/fixtures';
import { failureOf } from '../helpers/failures';
import { runPromotion } from '../helpers/promotions';
import { freePort } from '../helpers/shop';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

interface Received {
  path: string;
  body: any;
}

/** A webhook receiver that answers with the next status in `answers` (the last one repeats). */
async function receiver(answers: number[] = [200]) {
  const received: Received[] = [];
  const receive = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
    response.writeHead(answers[Math.min(received.length, answers.length) - 1]).end('ok');
  };
  // A post that is not JSON gets a 400, which the test then sees, rather than no answer at all.
  const server = http.createServer((request, response) => void receive(request, response).catch(() => response.writeHead(400).end('not JSON')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const secretPath = '/services/T000/B000/very-secret-token';
  return {
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${secretPath}`,
    secretPath,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const input = { webhookEnv: 'SHOP_WEBHOOK', event: 'succeeded' as const, promotionId: 'ferry-shop-abc1234', environment: 'production', text: 'shop:abc1234 is live in production' };

describe('the notify activity', () => {
  test('posts Slack-compatible JSON to the URL in the named variable', async () => {
    const hook = await receiver();
    await notifyActivities({ SHOP_WEBHOOK: hook.url }).notify(input);
    await hook.close();
    expect(hook.received).toEqual([
      {
        path: hook.secretPath,
        body: {
          text: ':white_check_mark: shop:abc1234 is live in production (ferry-shop-abc1234)',
          ferry: { event: 'succeeded', promotionId: 'ferry-shop-abc1234', environment: 'production' },
        },
      },
    ]);
  });

  test('a 5xx is worth retrying, a 4xx is not, and neither error shows the secret URL', async () => {
    const hook = await receiver([503, 404]);
    const notify = notifyActivities({ SHOP_WEBHOOK: hook.url }).notify;
    const unavailable = await failureOf(notify(input));
    expect(unavailable).toMatchObject({ message: 'the webhook in SHOP_WEBHOOK answered 503' });
    expect(unavailable).not.toHaveProperty('nonRetryable', true);
    const refused = await failureOf(notify(input));
    expect(refused).toMatchObject({ message: 'the webhook in SHOP_WEBHOOK answered 404', nonRetryable: true });
    await hook.close();
    const nowhere = `http://127.0.0.1:${await freePort()}${hook.secretPath}`;
    const unreachable = await failureOf(notifyActivities({ SHOP_WEBHOOK: nowhere }).notify(input));
    expect(unreachable.message).toMatch(/^the webhook in SHOP_WEBHOOK did not answer: .*ECONNREFUSED/);
    for (const error of [unavailable, refused, unreachable]) expect(error.message).not.toContain('very-secret-token');
  });

  test('an unset variable is named, and bad input is refused before anything is sent', async () => {
    expect(await failureOf(notifyActivities({}).notify(input))).toMatchObject({
      message: 'SHOP_WEBHOOK is not set on this worker: no webhook to notify',
      nonRetryable: true,
    });
    expect(await failureOf(notifyActivities({}).notify({ ...input, event: 'exploded' as never }))).toMatchObject({
      message: expect.stringMatching(/^notify: event: /),
      nonRetryable: true,
    });
  });
});

describe('inside a promotion', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
  });
  afterAll(() => env?.teardown());

  const productionOnly = () =>
    samplePlan((config) => {
      config.environments = config.environments.filter((e) => e.name === 'production');
    });

  async function promoteWith(hookUrl: string) {
    const real = notifyActivities({ PRODUCTION_WEBHOOK_URL: hookUrl }).notify;
    // The first approval notice is held, so the test server's clock stands still until the
    // approval is in; its outcome (and its retries) are the real activity's.
    const gate = hold();
    let held = false;
    const stub = stubActivities({
      notify: async (input) => {
        const sent = real(input).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (input.event === 'approval-waiting' && !held) {
          held = true;
          await gate.here();
        }
        const error = await sent;
        if (error) throw error;
      },
    });
    const { status } = await runPromotion(env, stub.activities, productionOnly(), async (handle) => {
      await gate.arrived;
      await handle.signal(approveSignal, { environment: 'production', approver: 'olivia' });
      gate.release();
    });
    return status;
  }

  test('an approval waiting and the success each reach the webhook', async () => {
    const hook = await receiver();
    const status = await promoteWith(hook.url);
    await hook.close();
    expect(status.state).toBe('succeeded');
    expect(hook.received.map((r) => r.body.ferry.event)).toEqual(['approval-waiting', 'succeeded']);
    expect(hook.received[0].body.text).toMatch(/^:raised_hand: shop [0-9a-f]{7} waits for approval of production/);
  });

  test('a webhook that keeps failing is retried, then given up on, and the promotion succeeds all the same', async () => {
    const hook = await receiver([500]);
    const status = await promoteWith(hook.url);
    await hook.close();
    expect(status.state).toBe('succeeded');
    // Five attempts for each of the two notifications (the notify retry policy).
    expect(hook.received.map((r) => r.body.ferry.event)).toEqual([...Array(5).fill('approval-waiting'), ...Array(5).fill('succeeded')]);
  });
});
