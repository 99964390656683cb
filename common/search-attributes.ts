import { defineSearchAttributeKey } from '@temporalio/common';

/** Kept current by the workflows so the Web UI and `ferry list` can filter promotions. */
export const SearchAttr = {
  app: defineSearchAttributeKey('FerryApp', 'KEYWORD'),
  commit: defineSearchAttributeKey('FerryCommit', 'KEYWORD'),
  environment: defineSearchAttributeKey('FerryEnvironment', 'KEYWORD'),
  stage: defineSearchAttributeKey('FerryStage', 'KEYWORD'),
  state: defineSearchAttributeKey('FerryState', 'KEYWORD'),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SearchAttr);
