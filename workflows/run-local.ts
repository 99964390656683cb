// A value each workflow run keeps for itself. Ferry's workflow modules are evaluated once per
// workflow thread and shared by every workflow on it (common/workflow-bundle.ts), so a module `let`
// would be one value for all of them. A run's globals are its own: the SDK swaps each run's global
// properties in whenever it activates the run on a shared context (and gives each run a context of
// its own when contexts are not reused), which is where it keeps the run's own activator too.

export interface RunLocal<T> {
  get(): T | undefined;
  set(value: T): void;
}

/** The value named `name` of the workflow run being activated; undefined until the run sets it. */
export function runLocal<T>(name: string): RunLocal<T> {
  const key = Symbol.for(`ferry.run-local.${name}`);
  const globals = globalThis as unknown as Record<symbol, T | undefined>;
  return {
    get: () => globals[key],
    set: (value) => {
      globals[key] = value;
    },
  };
}
