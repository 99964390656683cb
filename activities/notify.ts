// Notifications: a Slack-compatible webhook POST when an approval waits and when an
// environment succeeds, fails or is rolled back. The URL is a secret (a Slack webhook URL is
// its own credential), so it is read here from the variable the config names and never
// appears in history, logs or errors.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { NotifyActivities, NotifyEvent } from '../common/activity-contracts';
import { FailureType } from '../common/errors';
import { parseActivityInput } from '../common/activity-input';

const notifyInputSchema = z.object({
  webhookEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable'),
  event: z.enum(['approval-waiting', 'succeeded', 'failed', 'rolled-back']),
  promotionId: z.string().min(1),
  environment: z.string().min(1),
  text: z.string().min(1),
});

const ICON: Record<NotifyEvent, string> = {
  'approval-waiting': ':raised_hand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  'rolled-back': ':leftwards_arrow_with_hook:',
};

/** What the webhook receives: Slack reads `text`; other receivers can use the `ferry` fields. */
export function webhookPayload(input: z.infer<typeof notifyInputSchema>) {
  return {
    text: `${ICON[input.event]} ${input.text} (${input.promotionId})`,
    ferry: { event: input.event, promotionId: input.promotionId, environment: input.environment },
  };
}

export function notifyActivities(env: NodeJS.ProcessEnv = process.env): NotifyActivities {
  return {
    async notify(raw) {
      const input = parseActivityInput(notifyInputSchema, raw, 'notify');
      const url = env[input.webhookEnv];
      if (!url) {
        throw ApplicationFailure.nonRetryable(`${input.webhookEnv} is not set on this worker: no webhook to notify`, FailureType.InvalidInput);
      }
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookPayload(input)),
        signal: AbortSignal.timeout(10_000),
      }).catch((error: Error) => {
        const reason = `${error.cause ?? error.message}`.replaceAll(url, `$${input.webhookEnv}`);
        throw ApplicationFailure.retryable(`the webhook in ${input.webhookEnv} did not answer: ${reason}`, FailureType.WebhookFailed);
      });
      await response.arrayBuffer();
      if (response.ok) return;
      const message = `the webhook in ${input.webhookEnv} answered ${response.status}`;
      // 4xx but 429: the URL or payload is wrong, and asking again will not change the answer.
      const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
      throw permanent ? ApplicationFailure.nonRetryable(message, FailureType.WebhookRefused) : ApplicationFailure.retryable(message, FailureType.WebhookFailed);
    },
  };
}
