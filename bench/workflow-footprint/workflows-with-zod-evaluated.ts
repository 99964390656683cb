// The experiment's fourth kind: Ferry's workflows with zod's modules evaluated at load, as every
// workflow did before its schemas were lazy, but (with zod itself stubbed) no schema built.
// Against the plain stub, it tells zod's own evaluation apart from building the schemas.
import * as zodItself from 'zod/v4';

export const zodExports = Object.keys(zodItself).length;
export * from '../../workflows';
