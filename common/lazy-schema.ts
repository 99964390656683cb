// Schemas that workflows need only when a message arrives, built on first use, once per workflow
// thread.
//
// Temporal's TypeScript SDK evaluates the workflow bundle's modules again for every workflow it
// runs (each keeps its own module cache), so whatever a workflow module builds is built, and held,
// once per cached workflow. A zod schema is costly to hold: an environment lock that had served
// one promotion held about 0.1 MB of its own ledger and message schemas. This module is evaluated
// once per workflow thread and shared by every workflow (workflows/shared-modules.ts), and so is
// what it builds: a schema module evaluated again for a workflow asks for its schemas by name and
// gets the ones already built. A lazy schema builds itself when something first reads it (parse,
// safeParse, shape, use inside another schema) and is the very same zod schema from then on: the
// same checks, the same errors. What zod fills in on a schema as it is used (bound methods, a
// shape, a compiled fast path) follows from the schema alone, never from what was parsed, so every
// workflow sees the same schema.
//
// The rule this rests on: a build, and every transform or refinement in it, must be pure. It runs
// in whichever workflow first needs the schema, with the module scope of the workflow that first
// evaluated it, so it may use zod and module constants only: nothing from @temporalio/workflow
// (patched, workflowInfo, sleep), no module `let`, no time.
import type { z as Zod } from 'zod';

let zod: typeof Zod | undefined;

/** zod itself, evaluated on the first call (workflows/shared-modules.ts calls it once per worker). */
export function loadZod(): typeof Zod {
  // The one load at run time in common/: webpack still bundles zod (a literal require), and
  // evaluating it inside a workflow is deterministic; it only happens later, or never.
  // eslint-disable-next-line no-restricted-syntax
  return (zod ??= (require('zod') as { z: typeof Zod }).z);
}

interface Named {
  /** The build's source: the same name must always come with the same build. */
  source: string;
  schema?: object;
}

// One per workflow thread (per process outside workflows).
const byName = new Map<string, Named>();

/**
 * The schema `name` stands for. `build` runs once per workflow thread (once per process outside
 * workflows), on first use; until then neither it nor zod is evaluated. The result is typed as the
 * schema itself, so `z.infer`, `.parse`, `.extend`, `.pipe` work as on any schema. A name given
 * again with another build is refused: two schemas would otherwise answer for each other.
 */
export function lazySchema<T extends object>(name: string, build: (z: typeof Zod) => T): T {
  const source = build.toString();
  const named = byName.get(name) ?? { source };
  if (named.source !== source) throw new Error(`two schemas are named ${JSON.stringify(name)}: each lazySchema needs a name of its own`);
  byName.set(name, named);
  // Let go of the build once the schema exists: it holds the scope of the workflow that made it.
  let pending: typeof build | undefined = build;
  const built = (): T => {
    named.schema ??= pending!(loadZod());
    pending = undefined;
    return named.schema as T;
  };
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(built(), key),
    has: (_target, key) => Reflect.has(built(), key),
    // Every workflow on the thread shares the schema: nobody may change it.
    set: () => false,
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
  });
}
