import { parseDocument } from 'yaml';
import { ferryConfigSchema, type FerryConfig } from './config-schema';
import { describeIssues, InvalidInputError } from './problems';

/** Parses and validates the text of a ferry.config.yaml; `source` names the file in errors. */
export function parseConfig(text: string, source = 'ferry.config.yaml'): FerryConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new InvalidInputError(
      source,
      document.errors.map((e) => {
        const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'somewhere';
        return `${where}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  const result = ferryConfigSchema.safeParse(document.toJS());
  if (!result.success) throw new InvalidInputError(source, describeIssues(result.error));
  return result.data;
}
