// Everything the worker registers as a workflow.
export { promotion } from './promotion';
export { stage } from './stage';
export { environmentLock } from './environment-lock';
export { rollback } from './rollback';
