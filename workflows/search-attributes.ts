import { upsertSearchAttributes } from '@temporalio/workflow';
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

/** Upserts Ferry's search attributes when they change, so the Web UI's filters stay current. */
export class SearchAttributesPublisher {
  private last?: string[];
  private readonly keepLastStep = hasPatch(KEEP_LAST_STEP);

  publish(position: FerryPosition): void {
    const values = [position.app, position.sha, position.environment ?? 'none', position.stage ?? 'none', position.state];
    const last = this.last;
    if (last && values.every((value, i) => value === last[i])) return;
    if (this.keepLastStep && last && position.stage === undefined && values[4] === last[4]) return;
    this.last = values;
    upsertSearchAttributes([
      { key: SearchAttr.app, value: values[0] },
      { key: SearchAttr.commit, value: values[1] },
      { key: SearchAttr.environment, value: values[2] },
      { key: SearchAttr.stage, value: values[3] },
      { key: SearchAttr.state, value: values[4] },
    ]);
  }
}
