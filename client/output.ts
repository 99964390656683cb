// `-o/--output table|json|yaml`, as kubectl and the Temporal CLI take it; `--json` stays as the
// alias it always was. Anything but a table is for machines: no progress lines around it.
import { z } from 'zod';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_HELP = 'table, json or yaml';

/** The flags' shape: spread into a command's z.object, then `.superRefine(noOutputConflict).transform(outputOf)`. */
export const outputShape = { output: z.enum(OUTPUT_FORMATS).optional(), json: z.boolean().default(false) };

export function noOutputConflict(flags: { output?: string; json: boolean }, ctx: z.RefinementCtx): void {
  if (flags.json && flags.output !== undefined && flags.output !== 'json') {
    ctx.addIssue({ code: 'custom', path: ['output'], message: `${flags.output} conflicts with --json (which is -o json)` });
  }
}

/** `--json` is `-o json`; neither is a table. */
export function outputOf<T extends { output?: string; json: boolean }>({ json, output, ...rest }: T): Omit<T, 'json' | 'output'> & { output: NonNullable<T['output']> | 'table' | 'json' } {
  return { ...rest, output: (output ?? (json ? 'json' : 'table')) as NonNullable<T['output']> };
}

/** How a problem names the output flags. */
export const OUTPUT_FLAG_NAMES = { output: '-o/--output', json: '--json' };

/** The data as asked for; `table` draws it for people. */
export function render(format: string, data: unknown, table: () => string): string {
  if (format === 'json') return JSON.stringify(data, null, 2);
  if (format === 'yaml') return yamlOf(data).trimEnd();
  return table();
}

/** Loaded only when YAML is asked for: the rest of the CLI starts without it. */
function yamlOf(data: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stringify } = require('yaml') as typeof import('yaml');
  // Round-trips through JSON so dates and the like read as they do in -o json.
  return stringify(JSON.parse(JSON.stringify(data ?? null)));
}

export const isForMachines = (format: string) => format !== 'table';
