// The rule for a prebuilt workflow bundle: used only while the bundle and every file it was made
// from hash as the build recorded; otherwise the worker says which file and bundles at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_FILE, MANIFEST_FILE, sha256, whyStale, type BundleManifest } from '../../worker/bundle-manifest';
import { buildDirOfThisWorker, prebuiltWorkflowBundle } from '../../worker/prebuilt-bundle';
import { removeTempDirs, tempDir } from '../helpers/git-repo';

afterAll(removeTempDirs);

const files: Record<string, string> = {
  [BUNDLE_FILE]: 'the bundle',
  'workflows/index.js': 'exports.promotion = ...',
  '../node_modules/@temporalio/workflow/lib/index.js': 'the SDK',
};
const manifestOf = (recorded: Record<string, string>): BundleManifest => ({
  bundle: { file: BUNDLE_FILE, sha256: sha256(recorded[BUNDLE_FILE]) },
  inputs: Object.entries(recorded)
    .filter(([file]) => file !== BUNDLE_FILE)
    .map(([file, content]) => ({ file, sha256: sha256(content) })),
});
const reader = (now: Record<string, string>) => (file: string) => (file in now ? Buffer.from(now[file]) : undefined);
const manifest = JSON.stringify(manifestOf(files));

describe('whether a prebuilt bundle may be used', () => {
  it('may, when the bundle and every file it was made from are as the build recorded them', () => {
    expect(whyStale(manifest, reader(files))).toBeUndefined();
  });

  it('may not, naming the file, when one the bundle was made from changed since', () => {
    expect(whyStale(manifest, reader({ ...files, 'workflows/index.js': 'exports.promotion = changed' }))).toBe('workflows/index.js changed since the bundle was built');
    expect(whyStale(manifest, reader({ ...files, '../node_modules/@temporalio/workflow/lib/index.js': 'another SDK' }))).toBe(
      '../node_modules/@temporalio/workflow/lib/index.js changed since the bundle was built',
    );
  });

  it('may not when the bundle itself changed, or a file is gone', () => {
    expect(whyStale(manifest, reader({ ...files, [BUNDLE_FILE]: 'edited' }))).toBe(`${BUNDLE_FILE} changed since the bundle was built`);
    const { 'workflows/index.js': _gone, ...rest } = files;
    expect(whyStale(manifest, reader(rest))).toBe('workflows/index.js is gone since the bundle was built');
    const { [BUNDLE_FILE]: _bundle, ...noBundle } = files;
    expect(whyStale(manifest, reader(noBundle))).toBe(`${BUNDLE_FILE} is gone since the bundle was built`);
  });

  it('may not without a manifest, or with one that is not JSON or not a manifest', () => {
    expect(whyStale(undefined, reader(files))).toBe(`there is no ${MANIFEST_FILE}`);
    expect(whyStale('{', reader(files))).toBe(`${MANIFEST_FILE} is not JSON`);
    expect(whyStale(JSON.stringify({ ...manifestOf(files), inputs: [] }), reader(files))).toMatch(/is not a bundle manifest: inputs/);
    const badHash = { ...manifestOf(files), bundle: { file: BUNDLE_FILE, sha256: 'abc' } };
    expect(whyStale(JSON.stringify(badHash), reader(files))).toMatch(/is not a bundle manifest: bundle\.sha256: must be a sha256/);
    const longPath = { ...manifestOf(files), inputs: [{ file: 'x'.repeat(1001), sha256: sha256('') }] };
    expect(whyStale(JSON.stringify(longPath), reader(files))).toMatch(/inputs\[0\]\.file/);
  });
});

describe('the bundle a worker loads', () => {
  function buildDir(content: Record<string, string>, recorded = content): string {
    const dir = tempDir('prebuilt-bundle');
    for (const [file, text] of Object.entries(content)) {
      fs.mkdirSync(path.dirname(path.resolve(dir, file)), { recursive: true });
      fs.writeFileSync(path.resolve(dir, file), text);
    }
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifestOf(recorded)));
    return dir;
  }
  const inside = { [BUNDLE_FILE]: 'the bundle', 'workflows/index.js': 'exports.promotion = ...' };

  it('is none from the TypeScript sources: they bundle at start-up, as they always did', () => {
    expect(buildDirOfThisWorker()).toBeUndefined();
    const log = jest.fn();
    expect(prebuiltWorkflowBundle(undefined, log)).toBeUndefined();
    expect(log).not.toHaveBeenCalled();
  });

  it("is the build's bundle file when it matches", () => {
    const dir = buildDir(inside);
    const log = jest.fn();
    expect(prebuiltWorkflowBundle(dir, log)).toEqual({ codePath: path.join(dir, BUNDLE_FILE) });
    expect(log).not.toHaveBeenCalled();
  });

  it('is none when it does not match, and the worker says why and what it does instead', () => {
    const dir = buildDir({ ...inside, 'workflows/index.js': 'exports.promotion = changed' }, inside);
    const log = jest.fn();
    expect(prebuiltWorkflowBundle(dir, log)).toBeUndefined();
    expect(log).toHaveBeenCalledWith(
      `ferry worker: not using the prebuilt workflow bundle in ${dir}: workflows/index.js changed since the bundle was built; bundling the workflows at start-up instead (npm run build makes a new bundle)`,
    );
  });
});
