// kustomize's load restrictor keeps each kustomization to files in or below its own folder, but
// not what it lists as resources, components or bases: another kustomization anywhere on the
// worker, or a remote base fetched at render time. Before kustomize runs, every kustomization the
// overlay reaches is read and each such entry must stay inside the checkout, so what is applied
// is the repository's manifests at the promoted commit and nothing of the worker's or the network's.
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { ManifestsProblem } from './objects';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** The fields whose entries kustomize loads as paths (or URLs); generators and transformers may list folders too. */
const LISTS = ['resources', 'components', 'bases', 'generators', 'transformers', 'validators'];
/** kustomize's remote forms: a URL, an scp-like git address, or a host name leading a path (`github.com/org/repo//dir?ref=v1`). */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git::|[^/\s]+@[^/\s]+:|[a-z0-9-]+(\.[a-z0-9-]+)+\/)/i;

const inside = (root: string, file: string) => file === root || file.startsWith(root + path.sep);

async function kustomizationIn(dir: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir).catch((): string[] => []);
  const name = KUSTOMIZATION_FILES.find((file) => entries.includes(file));
  return name && path.join(dir, name);
}

/**
 * Walks the kustomizations reachable from `overlay` (a folder inside `root`, both real paths) and
 * throws a ManifestsProblem naming the file and entry of the first that leads outside `root` or
 * is remote. Entries that do not exist, and files that do not parse, are left to kustomize's own
 * error.
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
    let content: unknown;
    try {
      content = YAML.parse(await fs.readFile(file, 'utf8'));
    } catch {
      continue;
    }
    if (typeof content !== 'object' || content === null) continue;
    const named = path.relative(root, file);
    for (const list of LISTS) {
      const entries = (content as Record<string, unknown>)[list];
      if (!Array.isArray(entries)) continue;
      // Inline generator or transformer configs are YAML text, not paths.
      for (const entry of entries.filter((e): e is string => typeof e === 'string' && !e.includes('\n'))) {
        const shown = entry.slice(0, 300);
        const real = await fs.realpath(path.resolve(dir, entry)).catch(() => undefined);
        if (real === undefined) {
          if (REMOTE.test(entry)) {
            throw new ManifestsProblem(`${named} lists in ${list} "${shown}", a remote base: Ferry renders the repository's manifests alone, at the promoted commit`);
          }
          continue;
        }
        if (!inside(root, real)) throw new ManifestsProblem(`${named} lists in ${list} "${shown}", which is outside the repository: Ferry renders the repository's manifests alone`);
        if ((await fs.stat(real)).isDirectory()) queue.push(real);
      }
    }
  }
}
