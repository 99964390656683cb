// zod's warm-up, evaluated first of the modules every workflow on a worker thread shares
// (common/workflow-bundle.ts lists it ahead of the workflows). The SDK freezes what is shared once
// it has evaluated them. zod completes its global settings (its default locale and memoizer) when
// it builds its first container schema, and Ferry's own schemas are built only on first use
// (common/lazy-schema.ts), so one is built and used here, before the freeze.
import { loadZod } from '../common/lazy-schema';

const z = loadZod();
z.object({ settled: z.array(z.string()) }).safeParse({ settled: [] });
