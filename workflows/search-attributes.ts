import { upsertSearchAttributes } from '@temporalio/workflow';
import { SearchAttr } from '../common/search-attributes';

export interface FerryPosition {
  app: string;
  sha: string;
  environment?: string;
  stage?: string;
  state: string;
}

/** Upserts Ferry's search attributes when they change, so the Web UI's filters stay current. */
export class SearchAttributesPublisher {
  private last = '';

  publish(position: FerryPosition): void {
    const values = [position.app, position.sha, position.environment ?? 'none', position.stage ?? 'none', position.state];
    const key = values.join('|');
    if (key === this.last) return;
    this.last = key;
    upsertSearchAttributes([
      { key: SearchAttr.app, value: values[0] },
      { key: SearchAttr.commit, value: values[1] },
      { key: SearchAttr.environment, value: values[2] },
      { key: SearchAttr.stage, value: values[3] },
      { key: SearchAttr.state, value: values[4] },
    ]);
  }
}
