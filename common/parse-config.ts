import { isNode, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ferryConfigSchema, type FerryConfig } from './config-schema';
import { describeIssues, InvalidInputError } from './problems';

/** Parses and validates the text of a ferry.config.yaml; `source` names the file in errors. */
export function parseConfig(text: string, source = 'ferry.config.yaml'): FerryConfig {
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares every key of a map with every other: 100,000 keys
  // took a minute to refuse. duplicateKeys does the same check in one pass.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  const problems = [
    ...document.errors.map((e) => {
      const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'somewhere';
      return `${where}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
    }),
    ...duplicateKeys(document, lines),
  ];
  if (problems.length > 0) throw new InvalidInputError(source, problems);
  const result = ferryConfigSchema.safeParse(document.toJS());
  if (!result.success) throw new InvalidInputError(source, describeIssues(result.error));
  return result.data;
}

/** A key written twice in one mapping: YAML forbids it, and which of the two wins would be a guess. */
function duplicateKeys(document: Document, lines: LineCounter): string[] {
  const problems: string[] = [];
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const value = isScalar(key) ? key.value : String(key);
        if (seen.has(value)) {
          const at = isNode(key) && key.range ? lines.linePos(key.range[0]) : undefined;
          problems.push(`${at ? `line ${at.line}, column ${at.col}` : 'somewhere'}: Map keys must be unique`);
        }
        seen.add(value);
      }
    },
  });
  return problems;
}
