// The proxy's route table: who serves an environment and with what share. The target writes
// it, the proxy keeps a copy on disk so a restarted proxy routes as before.
import { z } from 'zod';

const backendSchema = z.object({ version: z.string().min(1), port: z.number().int().min(1).max(65535) });

export const routesSchema = z.object({
  stable: backendSchema.optional(),
  canary: backendSchema.extend({ weight: z.number().min(0).max(100) }).optional(),
});

export type Backend = z.infer<typeof backendSchema>;
export type Routes = z.infer<typeof routesSchema>;

/**
 * Sends exactly `weight` of every 100 requests to the canary, spread evenly, rather than by
 * chance: a 10% step then means 10%, even over the few requests of a short analysis.
 */
export class WeightedPicker {
  private credit = 0;

  pick(routes: Routes): Backend | undefined {
    const { stable, canary } = routes;
    if (!canary || canary.weight === 0) return stable;
    if (!stable || canary.weight === 100) return canary;
    this.credit += canary.weight;
    if (this.credit >= 100) {
      this.credit -= 100;
      return canary;
    }
    return stable;
  }
}

/** A version's numbers start afresh when it gets a new share, so analysis judges this step alone. */
export function versionsWithNewShare(before: Routes, after: Routes): string[] {
  const share = (routes: Routes, version: string) =>
    routes.canary?.version === version
      ? `canary:${routes.canary.port}:${routes.canary.weight}`
      : routes.stable?.version === version
        ? `stable:${routes.stable.port}:${100 - (routes.canary?.weight ?? 0)}`
        : undefined;
  const versions = [after.stable?.version, after.canary?.version].filter((v): v is string => v !== undefined);
  return versions.filter((version) => share(before, version) !== share(after, version));
}
