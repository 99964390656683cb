import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../common/parse-config';
import { buildPlan, type PlanOptions, type PromotionPlan } from '../../common/plan';

/** A three-environment pipeline in the shape teams write: dev rolls, staging canaries, production waits for people. */
export const SAMPLE_CONFIG = `
app: shop
repo: /srv/git/shop.git
artifact: "shop:{shortSha}"
build:
  command: make build
test:
  command: make test
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: 18081 }
    database: { urlEnv: DEV_DATABASE_URL }
    stabilize: 2m
  - name: staging
    target: { kind: local, start: "node server.js", port: 18082 }
    database: { urlEnv: STAGING_DATABASE_URL, undo: down }
    strategy: { kind: canary, steps: [10, 50, 100], pause: 5m }
    stabilize: 15m
  - name: production
    target: { kind: kubernetes, context: prod, namespace: shop, deployment: shop }
    database: { urlEnv: PROD_DATABASE_URL, undo: restore }
    backup: true
    strategy: { kind: canary, steps: [25, 100], pause: 10m }
    notify: { webhookEnv: PRODUCTION_WEBHOOK_URL }
    approval:
      required: 1
      approvers: [olivia, dana@example.com, sam]
      timeout: 72h
`;

/** A fresh SHA per test, so workflow IDs never collide on a shared server. */
export const nextSha = (): string => randomBytes(20).toString('hex');

/** The sample plan, with edits to its parsed config for the case at hand. */
export function samplePlan(edit: (config: ReturnType<typeof parseConfig>) => void = () => undefined, options: PlanOptions & { sha?: string; requestedBy?: string } = {}): PromotionPlan {
  const config = parseConfig(SAMPLE_CONFIG, 'sample');
  edit(config);
  return buildPlan(config, { sha: options.sha ?? nextSha(), ref: 'main', requestedBy: options.requestedBy ?? 'ci-bot' }, options);
}
