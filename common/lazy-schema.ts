// Schemas built on first use. Most workflows never parse a message (an idle lock, a stage waiting
// out its stabilize), and a zod schema is costly to build and to hold; the CLI and the activities
// load these modules too and need one or two schemas each. A lazy schema builds itself when
// something first reads it (parse, safeParse, shape, use inside another schema) and is the very
// same zod schema from then on: the same checks, the same errors.
//
// In a worker, the modules that make these schemas are evaluated once per workflow thread and
// shared by every workflow on it (common/workflow-bundle.ts), and so is each schema. What zod fills
// in on a schema as it is used (bound methods, a shape, a compiled fast path) follows from the
// schema alone, never from what was parsed, so every workflow sees the same schema. The rule this
// rests on: a build, and every transform or refinement in it, must be pure. It runs in whichever
// workflow first needs the schema, so it may use zod and module constants only: nothing from
// @temporalio/workflow (patched, workflowInfo, sleep), no module `let`, no time.
import type { z as Zod } from 'zod';

let zod: typeof Zod | undefined;

/** zod itself, evaluated on the first call (workflows/shared-modules.ts calls it once per worker). */
export function loadZod(): typeof Zod {
  // The one load at run time in common/: webpack still bundles zod (a literal require), and
  // evaluating it inside a workflow is deterministic; it only happens later, or never.
  // eslint-disable-next-line no-restricted-syntax
  return (zod ??= (require('zod') as { z: typeof Zod }).z);
}

/**
 * The schema `build` makes, built on first use, once; until then neither `build` nor zod is
 * evaluated. The result is typed as the schema itself, so `z.infer`, `.parse`, `.extend`, `.pipe`
 * work as on any schema.
 */
export function lazySchema<T extends object>(build: (z: typeof Zod) => T): T {
  let pending: typeof build | undefined = build;
  let schema: T | undefined;
  const built = (): T => {
    schema ??= pending!(loadZod());
    // The build is not needed again; what it closes over need not be held.
    pending = undefined;
    return schema;
  };
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(built(), key),
    has: (_target, key) => Reflect.has(built(), key),
    // Every workflow on the thread shares the schema: nobody may change it.
    set: () => false,
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
    // The SDK freezes what a workflow thread shares (it lets be what refuses). Frozen, this proxy's
    // target would have to answer for the prototype, and every getPrototypeOf and instanceof on the
    // schema would throw.
    preventExtensions: () => false,
  });
}
