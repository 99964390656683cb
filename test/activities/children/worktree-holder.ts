// A worker-like process for tests: takes a worktree through withWorktree, writes its path to the
// file named by the third argument, and holds it until killed. Arguments: the SourceRef as JSON,
// the promotion ID, the file.
import fs from 'node:fs';
import { withWorktree } from '../../../activities/worktree';

const [source, promotionId, readyFile] = process.argv.slice(2);
withWorktree(JSON.parse(source), promotionId, async (dir) => {
  fs.writeFileSync(readyFile, dir);
  await new Promise(() => setInterval(() => undefined, 60_000)); // until killed
}).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
