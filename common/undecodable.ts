/**
 * What the payload converter hands over in place of a value it could not decode. A plain
 * object, not a class: it crosses from the converter into the workflow sandbox.
 */
export const UNDECODABLE = 'ferry:undecodable';
/** The converter cuts what it records to these. */
export const ENCODING_CHARS = 100;
export const PROBLEM_CHARS = 200;

export interface Undecodable {
  [UNDECODABLE]: { encoding: string; bytes: number; problem: string };
}

/**
 * Anyone can send this key as JSON: only the converter's shape, within its bounds, counts, so a
 * forged one is refused by the message's schema instead of throwing in a handler or being kept whole.
 */
export function isUndecodable(value: unknown): value is Undecodable {
  if (typeof value !== 'object' || value === null || !(UNDECODABLE in value)) return false;
  const marker: unknown = (value as Record<string, unknown>)[UNDECODABLE];
  if (typeof marker !== 'object' || marker === null) return false;
  const { encoding, bytes, problem } = marker as Record<string, unknown>;
  return typeof encoding === 'string' && encoding.length <= ENCODING_CHARS && typeof bytes === 'number' && typeof problem === 'string' && problem.length <= PROBLEM_CHARS;
}
