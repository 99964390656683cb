// ferry retry reuses the earlier run's plan, but the refs policy is the config's as it is now:
// `from` and `after` added (or changed, or dropped) since the earlier run apply to the retry.
import { withCurrentPolicy } from '../../client/retry-policy';
import { parseConfig } from '../../common/parse-config';
import { samplePlan, SAMPLE_CONFIG } from '../helpers/fixtures';

const config = (edit: (config: ReturnType<typeof parseConfig>) => void = () => undefined) => {
  const parsed = parseConfig(SAMPLE_CONFIG, 'ferry.config.yaml');
  parsed.app = 'shop';
  for (const env of parsed.environments) delete env.from;
  edit(parsed);
  return parsed;
};
/** The earlier run's plan: no refs policy at all, dev promoted before. */
const earlier = samplePlan(
  (c) => {
    c.app = 'shop';
    for (const env of c.environments) delete env.from;
  },
  { skip: ['dev'] },
);

test('from and after added to the config since the earlier run apply to the environments the retry reuses; everything else is the earlier plan', () => {
  const plan = withCurrentPolicy(
    earlier,
    config((c) => {
      c.environments[2].from = ['main'];
      c.environments[1].after = false;
      c.environments[2].stabilize = 1; // not the refs policy: the retry keeps the earlier plan's
    }),
    'ferry.config.yaml',
  );
  expect(plan.environments.map((e) => [e.name, e.from, e.after, e.skip])).toEqual([
    ['dev', undefined, undefined, true],
    ['staging', undefined, false, false],
    ['production', ['main'], undefined, false],
  ]);
  expect(plan.environments[2].stabilize).toBe(earlier.environments[2].stabilize);
  expect({ ...plan, environments: [] }).toEqual({ ...earlier, environments: [] });
});

test('rules dropped from the config are dropped from the retry too', () => {
  const strict = { ...earlier, environments: earlier.environments.map((e) => ({ ...e, from: ['main'], after: false as const })) };
  const plan = withCurrentPolicy(strict, config(), 'ferry.config.yaml');
  // dev is skipped (promoted before): not entered, so left as it was.
  expect(plan.environments.map((e) => [e.from, e.after])).toEqual([
    [['main'], false],
    [undefined, undefined],
    [undefined, undefined],
  ]);
  expect(plan.environments.slice(1).every((e) => !('from' in e) && !('after' in e))).toBe(true);
});

test('a config of another app, or one without an environment the retry would enter, is refused naming it (exit 2)', () => {
  expect(() =>
    withCurrentPolicy(
      earlier,
      config((c) => (c.app = 'blog')),
      'blog.yaml',
    ),
  ).toThrow(expect.objectContaining({ code: 2, message: 'blog.yaml is the config of blog, not shop: ferry retry applies the refs policy (from, after) of the config it is given' }));
  expect(() =>
    withCurrentPolicy(
      earlier,
      config((c) => (c.environments = c.environments.filter((e) => e.name !== 'staging'))),
      'ferry.config.yaml',
    ),
  ).toThrow(expect.objectContaining({ code: 2, message: expect.stringContaining('ferry.config.yaml has no environment staging') }));
  // One the retry skips (promoted before) needs no rules.
  expect(
    withCurrentPolicy(
      earlier,
      config((c) => (c.environments = c.environments.filter((e) => e.name !== 'dev'))),
      'ferry.config.yaml',
    ).environments[0],
  ).toEqual(earlier.environments[0]);
});
