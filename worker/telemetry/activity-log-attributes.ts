// Activity log lines carry what a reader of the worker's log filters on: the promotion, app and
// environment the activity works for (from its input, where it names them) and the step (its
// type: build, migrate, deployRolling, ...). Only names: never a variable's value.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

const NAME_MAX = 200;

function named(input: unknown, key: string): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const value = (input as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length <= NAME_MAX ? value : undefined;
}

export const activityLogAttributes: ActivityInterceptorsFactory = (context) => {
  let attributes: Record<string, string> = { step: context.info.activityType };
  return {
    inbound: {
      execute(input, next) {
        const first = input.args[0];
        const found = { promotion: named(first, 'promotionId'), app: named(first, 'app'), environment: named(first, 'environment') };
        attributes = { ...Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined)), ...attributes } as Record<string, string>;
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next({ ...input, ...attributes }),
    },
  };
};
