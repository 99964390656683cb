// As workflows-with-zod-evaluated.ts, with zod's smaller `zod/mini` API evaluated instead: what
// a workflow that must parse a message would pay for zod itself if its schemas were zod/mini's.
import * as zodMini from 'zod/mini';

export const zodExports = Object.keys(zodMini).length;
export * from '../../workflows';
