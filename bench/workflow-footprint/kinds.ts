// The kinds of worker the footprint bench compares: what each bundle is made of, and whether each
// workflow it starts is sent one message with its start.

export interface KindSpec {
  /** The workflows module the bundle is made from, relative to this folder. */
  workflows: string;
  /** Webpack aliases: what the bundle takes in place of a module. */
  stubs: Record<string, string>;
  /** Ferry's bundle: Ferry's payload converter, and environment locks to start. */
  ferry: boolean;
  /**
   * Each workflow is started with one signal (signal-with-start, so it is in the first task):
   * `acquire` with an empty payload, which a lock parses and refuses, so it has to load its schema.
   */
  messaged: boolean;
  /**
   * Modules the bundle evaluates once per worker thread and shares between workflows (the SDK's
   * `preloadModules`); Ferry's kinds share what Ferry's worker shares unless told otherwise.
   */
  preload?: string[];
}

const ZOD_STUB = { zod$: require.resolve('./zod-stub') };

export const KINDS = {
  bare: { workflows: './waiting-workflow', stubs: {}, ferry: false, messaged: false },
  ferry: { workflows: '../../workflows', stubs: {}, ferry: true, messaged: false },
  'ferry-without-zod': { workflows: '../../workflows', stubs: ZOD_STUB, ferry: true, messaged: false },
  'ferry-zod-without-schemas': { workflows: './workflows-with-zod-evaluated', stubs: ZOD_STUB, ferry: true, messaged: false },
  'ferry-zod-mini-without-schemas': { workflows: './workflows-with-zod-mini-evaluated', stubs: ZOD_STUB, ferry: true, messaged: false },
  'bare-messaged': { workflows: './waiting-workflow', stubs: {}, ferry: false, messaged: true },
  'ferry-messaged': { workflows: '../../workflows', stubs: {}, ferry: true, messaged: true },
  // As Ferry was before zod was shared: each workflow evaluates zod itself.
  'ferry-messaged-zod-per-workflow': { workflows: '../../workflows', stubs: {}, ferry: true, messaged: true, preload: [] },
} satisfies Record<string, KindSpec>;

export type Kind = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as Kind[];
/** The baseline each kind's ratios are taken against, paired by round. */
export const baselineOf = (kind: Kind): Kind => (KINDS[kind].messaged ? 'bare-messaged' : 'bare');
