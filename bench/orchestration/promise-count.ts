// FERRY_BENCH_PROMISE_COUNT_DIR: how many promises a worker's workflows make, by the line of the
// kind's own source that made them. The SDK keeps a stack trace of every promise a workflow makes
// (for the Web UI's stack trace view), at about 17 KB of garbage each: about half of what a
// workflow allocates is that, and this says whose promises they are. The worker must run its workflows in its own
// thread (debug mode) for the hook to see them, so that run's other figures are no figures.
import fs from 'node:fs';
import path from 'node:path';
import { SourceMap, type SourceMapPayload } from 'node:module';
import v8 from 'node:v8';

/** Frames looked at for the first one in the kind's own source (the SDK's own come first). */
const FRAMES = 40;
/** Promises that no line of the kind's own source made: the SDK's own, around each activation. */
const SDK_ONLY = '(the SDK alone)';

export function inlineSourceMap(bundleCode: string): SourceMapPayload {
  const match = /sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(bundleCode);
  if (!match) throw new Error('the workflow bundle has no inline source map: promises cannot be put to the lines that made them');
  return JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapPayload;
}

/** A source path as the repository names it: `workflows/stage.ts`, not webpack's or the machine's. */
export const inRepository = (source: string) =>
  source
    .replace(/^webpack:\/\/[^/]*\//, '')
    .replace(/^\.\//, '')
    .replace(`${process.cwd()}${path.sep}`, '');

/**
 * Counts, from now on, the promises made by workflows (the SDK marks each with its run) in the
 * bundle `bundleFile`, by the first frame that maps to source outside node_modules, and writes the
 * counts to `dir` when the process exits.
 */
export function countPromises(dir: string, bundleFile: string, label: string): void {
  const map = new SourceMap(inlineSourceMap(fs.readFileSync(bundleFile, 'utf8')));
  // The name the SDK runs the bundle under.
  const bundleName = path.resolve(bundleFile);
  const siteOf = new Map<string, string | undefined>();
  const site = (frame: NodeJS.CallSite): string | undefined => {
    if (frame.getFileName() !== bundleName) return undefined;
    const at = `${frame.getLineNumber()}:${frame.getColumnNumber()}`;
    if (!siteOf.has(at)) {
      // Call sites count from 1, the map from 0.
      const entry = map.findEntry((frame.getLineNumber() ?? 1) - 1, (frame.getColumnNumber() ?? 1) - 1) as Partial<{ originalSource: string; originalLine: number }>;
      const source = entry.originalSource;
      const own = source !== undefined && !/node_modules|webpack\/(bootstrap|runtime)/.test(source);
      siteOf.set(at, own ? `${inRepository(source)}:${(entry.originalLine ?? 0) + 1} ${frame.getFunctionName() ?? ''}`.trim() : undefined);
    }
    return siteOf.get(at);
  };
  const counts = new Map<string, number>();
  v8.promiseHooks.onInit((promise) => {
    if (!(promise as { runId?: string }).runId) return;
    const key =
      callSites()
        .map(site)
        .find((at) => at !== undefined) ?? SDK_ONLY;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  process.on('exit', () => {
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    const lines = [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${String(n).padStart(8)}  ${key}`);
    fs.writeFileSync(path.join(dir, `${label}-${process.pid}.promises.txt`), [`${total} promises made by workflows, by the line that made them`, ...lines, ''].join('\n'));
  });
}

/** The caller's stack as V8's call sites, without formatting it (the SDK formats the workflows' own). */
function callSites(): NodeJS.CallSite[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  let sites: NodeJS.CallSite[] = [];
  Error.stackTraceLimit = FRAMES;
  Error.prepareStackTrace = (_error, stack) => {
    sites = stack;
    return '';
  };
  try {
    void new Error().stack;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  return sites;
}
