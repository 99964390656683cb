// What every bundle of Ferry's workflows is made with (the worker's, the build's, replay's, the
// tests' and the benches'), so that they all run the workflows the same way.

/** Modules evaluated once per workflow thread and shared by every workflow (the SDK's `preloadModules`). */
export const SHARED_WORKFLOW_MODULES = [require.resolve('../workflows/shared-modules')];
