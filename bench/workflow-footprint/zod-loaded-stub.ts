// The experiment's second stand-in: zod's modules are evaluated as usual, but no schema is built.
// Against the plain stub, it tells zod's module evaluation apart from building the schemas.
import * as zodItself from 'zod/v4';
import { z as stub } from './zod-stub';

export const evaluated = Object.keys(zodItself).length;
export const z = stub;
export default stub;
