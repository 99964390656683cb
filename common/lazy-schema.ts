// Schemas that workflows need only when a message arrives, built on first use.
//
// Temporal's TypeScript SDK evaluates the workflow bundle's modules again for every workflow it
// runs (each keeps its own module cache), so whatever a workflow module builds at load time is
// built, and held, once per cached workflow: zod and every schema cost about 1 MB and two thirds
// of the CPU of each idle lock's start (bench/workflow-footprint). zod itself is now evaluated
// once per worker thread (workflows/shared-modules.ts); the schemas are still each workflow's own.
// A lazy schema builds itself when something first reads it (parse, safeParse, shape, use inside
// another schema) and is the very same zod schema from then on: the same checks, the same errors.
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
 * `build` runs once, on first use; until then neither it nor zod is evaluated. The result is
 * typed as the schema itself, so `z.infer`, `.parse`, `.extend`, `.pipe` work as on any schema.
 */
export function lazySchema<T extends object>(build: (z: typeof Zod) => T): T {
  let schema: T | undefined;
  const built = (): T => (schema ??= build(loadZod()));
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(built(), key),
    has: (_target, key) => Reflect.has(built(), key),
    set: (_target, key, value) => Reflect.set(built(), key, value),
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
  });
}
