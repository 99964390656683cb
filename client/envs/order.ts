// In which order `ferry envs` shows apps and environments: as the app's config lists its
// environments when Ferry has it, else as they first went live (dev before production, usually).
import type { EnvironmentView } from './summary';

/** The environments an app's config lists, in order. */
export interface ConfiguredOrder {
  app: string;
  environments: string[];
}

/** When the oldest release the ledger still keeps went live; environments without one come last. */
function firstLiveAt(view: EnvironmentView): number {
  if (view.answer.kind !== 'ledger') return Infinity;
  const oldest = view.answer.ledger.releases.at(-1);
  return oldest ? Date.parse(oldest.wentLiveAt) : Infinity;
}

/**
 * Apps by name; an app's environments in its config's order, then those its config does not list
 * (one since removed from it) by first release, then by name.
 */
export function orderViews(views: EnvironmentView[], configured?: ConfiguredOrder): EnvironmentView[] {
  const position = (view: EnvironmentView) => {
    if (configured?.app !== view.app) return Infinity;
    const i = configured.environments.indexOf(view.environment);
    return i < 0 ? Infinity : i;
  };
  return [...views].sort((a, b) => a.app.localeCompare(b.app) || position(a) - position(b) || firstLiveAt(a) - firstLiveAt(b) || a.environment.localeCompare(b.environment));
}
