import { parseConfig } from '../../common/parse-config';
import { InvalidInputError } from '../../common/problems';

/** The problems parseConfig names for `text`; fails the test if it parses. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be refused, but it parsed');
}
