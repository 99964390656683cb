/**
 * What the payload converter hands over in place of a value it could not decode. A plain
 * object, not a class: it crosses from the converter into the workflow sandbox.
 */
export const UNDECODABLE = 'ferry:undecodable';

export interface Undecodable {
  [UNDECODABLE]: { encoding: string; bytes: number; problem: string };
}

export function isUndecodable(value: unknown): value is Undecodable {
  return typeof value === 'object' && value !== null && UNDECODABLE in value;
}
