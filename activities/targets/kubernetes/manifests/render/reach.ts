// kustomize's load restrictor keeps each kustomization to files in or below its own folder, but
// not what it lists as resources, components or bases: another kustomization anywhere on the
// worker, or a remote base fetched at render time. Before kustomize runs, every kustomization the
// overlay reaches is read and each such entry must be a file or folder inside the checkout, so
// what is applied is the repository's manifests at the promoted commit and nothing of the
// worker's or the network's. A kustomization Ferry cannot read fully cannot be checked, so it is refused.
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { ManifestsProblem } from './objects';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** The fields whose entries kustomize loads as paths (or URLs); generators and transformers may list folders too. */
const LISTS = ['resources', 'components', 'bases', 'generators', 'transformers', 'validators'];
/**
 * kustomize's remote forms: a URL, an scp-like git address with or without a user
 * (`git@github.com:org/repo`, `github.com:org/repo//dir?ref=v1`), or a host name leading a path
 * (`github.com/org/repo//dir?ref=v1`). Only for the message: any entry that is not in the checkout is refused.
 */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git::|[^/\s]+@[^/\s]+:|[a-z0-9-]+(\.[a-z0-9-]+)+[:/])/i;
/** A kustomization is a few dozen lines; one far larger is not worth reading to check. */
const MAX_KUSTOMIZATION_BYTES = 1 << 20;

const inside = (root: string, file: string) => file === root || file.startsWith(root + path.sep);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

async function kustomizationIn(dir: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir).catch((): string[] => []);
  const name = KUSTOMIZATION_FILES.find((file) => entries.includes(file));
  return name && path.join(dir, name);
}

/**
 * The kustomization's top-level mapping, read both with YAML merge keys (`<<`) applied, as
 * kustomize reads them, and without, keeping what each `<<` brings: parsers differ on which of a
 * key and a merged key wins, so the entries of both are checked.
 */
function readKustomization(text: string, named: string): Array<Record<string, unknown>> {
  const views: Array<Record<string, unknown>> = [];
  for (const merge of [true, false]) {
    let content: unknown;
    try {
      content = YAML.parse(text, { merge });
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : 'unreadable';
      throw new ManifestsProblem(`${named} cannot be read fully (${reason}), so Ferry cannot check what it reaches: write it without what the message names`);
    }
    if (content === null || content === undefined) return [];
    if (!isRecord(content)) throw new ManifestsProblem(`${named} is not a mapping of kustomization fields, so Ferry cannot check what it reaches`);
    views.push(content);
    if (!merge) {
      const merged = content['<<'];
      for (const source of Array.isArray(merged) ? merged : [merged]) if (isRecord(source)) views.push(source);
    }
  }
  return views;
}

/**
 * Walks the kustomizations reachable from `overlay` (a folder inside `root`, both real paths) and
 * throws a ManifestsProblem naming the file and entry of the first that is remote, leads outside
 * `root`, or is no file or folder at all, and naming any kustomization it cannot read fully.
 */
export async function checkReach(root: string, overlay: string): Promise<void> {
  const seen = new Set<string>();
  const queue = [overlay];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const file = await kustomizationIn(dir);
    if (!file) continue;
    const named = path.relative(root, file);
    const stat = await fs.stat(file);
    if (stat.size > MAX_KUSTOMIZATION_BYTES) throw new ManifestsProblem(`${named} takes ${stat.size} bytes, over the ${MAX_KUSTOMIZATION_BYTES} Ferry reads to check what it reaches`);
    const views = readKustomization(await fs.readFile(file, 'utf8'), named);
    for (const list of LISTS) {
      const entries = views.flatMap((view) => (Array.isArray(view[list]) ? (view[list] as unknown[]) : []));
      // Inline generator or transformer configs are YAML text, not paths.
      for (const entry of new Set(entries.filter((e): e is string => typeof e === 'string' && !e.includes('\n')))) {
        const shown = entry.slice(0, 300);
        const real = await fs.realpath(path.resolve(dir, entry)).catch(() => undefined);
        if (real === undefined) {
          if (REMOTE.test(entry)) {
            throw new ManifestsProblem(`${named} lists in ${list} "${shown}", a remote base: Ferry renders the repository's manifests alone, at the promoted commit`);
          }
          throw new ManifestsProblem(`${named} lists in ${list} "${shown}", which does not exist in the repository: Ferry renders the repository's manifests alone`);
        }
        if (!inside(root, real)) throw new ManifestsProblem(`${named} lists in ${list} "${shown}", which is outside the repository: Ferry renders the repository's manifests alone`);
        const kind = await fs.stat(real);
        if (kind.isDirectory()) queue.push(real);
        else if (!kind.isFile()) throw new ManifestsProblem(`${named} lists in ${list} "${shown}", which is neither a file nor a folder`);
      }
    }
  }
}
