// The rule that keeps a prebuilt workflow bundle honest: the build records the bundle's hash and
// the hash of every file webpack read to make it (Ferry's compiled workflows and common/, the
// SDK's workflow library, zod); the bundle is used only while all of them still hash the same.
import crypto from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from '../common/problems';

export const BUNDLE_FILE = 'workflow-bundle.js';
export const MANIFEST_FILE = 'workflow-bundle.json';

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');
/** A path relative to the build folder (dist/); node_modules files are reached through `..`. */
const relativePathSchema = z.string().min(1).max(1000);

export const bundleManifestSchema = z.object({
  // The file the worker loads, and no other: checking one file and loading another proves nothing.
  bundle: z.object({ file: z.literal(BUNDLE_FILE), sha256: sha256Schema }),
  inputs: z
    .array(z.object({ file: relativePathSchema, sha256: sha256Schema }))
    .min(1)
    .max(20_000),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export const sha256 = (content: Buffer | string) => crypto.createHash('sha256').update(content).digest('hex');

/** The file's content, or undefined when it is not there. */
export type ReadFile = (relativePath: string) => Buffer | undefined;

/**
 * Why the bundle the manifest describes must not be used, or undefined when it may be: the
 * manifest does not parse, or the bundle or one of the files it was made from is missing or
 * has changed since the build (the first such file is named).
 */
export function whyStale(manifestText: string | undefined, read: ReadFile): string | undefined {
  if (manifestText === undefined) return `there is no ${MANIFEST_FILE}`;
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    return `${MANIFEST_FILE} is not JSON`;
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) return `${MANIFEST_FILE} is not a bundle manifest: ${describeIssues(parsed.error).slice(0, 3).join('; ')}`;
  for (const { file, sha256: recorded } of [parsed.data.bundle, ...parsed.data.inputs]) {
    const content = read(file);
    if (content === undefined) return `${file} is gone since the bundle was built`;
    if (sha256(content) !== recorded) return `${file} changed since the bundle was built`;
  }
  return undefined;
}
