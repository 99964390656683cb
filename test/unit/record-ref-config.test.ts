// recordRef and the refs policy in the config, and what the plan carries of them.
import { parseConfig } from '../../common/parse-config';
import { buildPlan } from '../../common/plan';
import { problemsOf } from '../helpers/config-problems';

const config = (repo: string, extra: string) => `app: shop
repo: ${repo}
artifact: "shop:{shortSha}"
build: { command: make build }
${extra}
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: 18081 }
  - name: production
    from: [main]
    target: { kind: local, start: "node server.js", port: 18082 }
`;
const sha = 'a'.repeat(40);

test('the plan carries recordRef as configured (the default ref, the push credential by name) and each environment its from', () => {
  const plan = buildPlan(parseConfig(config('https://git.example.com/acme/shop.git', 'recordRef: { credentialsEnv: SHOP_GIT_PUSH }')), { sha, ref: 'main' });
  expect(plan.recordRef).toEqual({ ref: 'refs/ferry/{env}', credentialsEnv: 'SHOP_GIT_PUSH' });
  expect(plan.environments.map((e) => e.from)).toEqual([undefined, ['main']]);
});

test('without recordRef the plan has none (no ref is moved)', () => {
  expect('recordRef' in buildPlan(parseConfig(config('/srv/git/shop.git', '')), { sha, ref: 'main' })).toBe(false);
});

test('recordRef.credentialsEnv is refused for a repo that is not http(s), naming the field', () => {
  expect(problemsOf(config('/srv/git/shop.git', 'recordRef: { ref: "env/{env}", credentialsEnv: SHOP_GIT_PUSH }'))).toEqual([
    expect.stringMatching(/^recordRef\.credentialsEnv: is only for an http\(s\) repo/),
  ]);
});
