// Evaluated once per workflow thread, before any workflow runs, and shared by all of them: the
// worker's bundle lists this module in the SDK's `preloadModules` (common/workflow-bundle.ts).
// Any other module is evaluated again for each workflow; zod, which every workflow that parses a
// message needs, cost each about 0.55 MB of heap that way (bench/workflow-footprint), and the
// schemas built with it about 0.1 MB more. lazy-schema.ts comes with it, so the schemas it builds
// are built once per thread too.
// The SDK then freezes what is shared. zod completes its global settings (its default locale and
// memoizer) when it builds its first container schema, so one is built and used here, before the
// freeze.
import { loadZod } from '../common/lazy-schema';

const z = loadZod();
z.object({ settled: z.array(z.string()) }).safeParse({ settled: [] });
