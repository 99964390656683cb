import type { SearchAttributePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { hasPatch } from './patches';
import { SearchAttr } from '../common/search-attributes';

export interface FerryPosition {
  app: string;
  sha: string;
  environment?: string;
  stage?: string;
  state: string;
}

/**
 * Since this change, a step's end alone upserts nothing: the step begun last (and its environment)
 * stays shown until the next one begins, mostly in the same workflow task (not across a
 * notification, a ledger read, or blue-green's keep-previous wait). One event per step instead of
 * two, and the Web UI never shows a running workflow at no step between two. A change of state
 * (waiting, running, the end) is always upserted.
 */
const KEEP_LAST_STEP = 'search-attributes-keep-last-step';

/**
 * Since this change, a workflow started with Ferry's search attributes (a stage, by its parent)
 * counts them as published: the first upsert, of the same values, is not made.
 */
const KEEP_START_VALUES = 'search-attributes-keep-start-values';

const KEYS = [SearchAttr.app, SearchAttr.commit, SearchAttr.environment, SearchAttr.stage, SearchAttr.state] as const;
const valuesOf = (position: FerryPosition) => [position.app, position.sha, position.environment ?? 'none', position.stage ?? 'none', position.state];

/** The search attributes at `position`, for a workflow to be started with (which costs no event). */
export function searchAttributesAt(position: FerryPosition): SearchAttributePair[] {
  const values = valuesOf(position);
  return KEYS.map((key, i) => ({ key, value: values[i] }) as SearchAttributePair);
}

/** Where a stage's own attributes start: its environment, running, no step yet. */
export const stageStartsAt = (app: string, sha: string, environment: string) => searchAttributesAt({ app, sha, environment, state: 'running' });

/** Upserts Ferry's search attributes when they change, so the Web UI's filters stay current. */
export class SearchAttributesPublisher {
  private last?: string[] = hasPatch(KEEP_START_VALUES) ? startValues() : undefined;
  private readonly keepLastStep = hasPatch(KEEP_LAST_STEP);

  publish(position: FerryPosition): void {
    const values = valuesOf(position);
    const last = this.last;
    if (last && values.every((value, i) => value === last[i])) return;
    if (this.keepLastStep && last && position.stage === undefined && values[4] === last[4]) return;
    this.last = values;
    upsertSearchAttributes(searchAttributesAt(position));
  }
}

/** The values this run was started with, if it was started with all of them. */
function startValues(): string[] | undefined {
  const attributes = workflowInfo().typedSearchAttributes;
  const values = KEYS.map((key) => attributes.get(key));
  return values.every((value): value is string => typeof value === 'string') ? values : undefined;
}
