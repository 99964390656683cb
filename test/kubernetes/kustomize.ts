// The kustomize the tests render with: FERRY_KUSTOMIZE when set, else the one `npm test` builds
// beside the control plane (scripts/kubernetes/binaries.js). Without one the tests skip, naming
// how to get it; in CI they fail instead, so CI never passes without having run them.
import fs from 'node:fs';
import { describeNeeding } from '../helpers/describe-needing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const binaries = require('../../scripts/kubernetes/binaries') as { kustomizePath(): string };

const MISSING =
  'no kustomize: install Go 1.26 or newer (https://go.dev/dl/) and `npm test` builds it (or run `node scripts/kubernetes/binaries.js`), ' + 'or set FERRY_KUSTOMIZE to a kustomize v5 binary';

export function testKustomize(): string | undefined {
  const given = process.env.FERRY_KUSTOMIZE;
  if (given) return given;
  const built = binaries.kustomizePath();
  return fs.existsSync(built) ? built : undefined;
}

/** `describe` with the test kustomize; without one, a skip that says how to get it (a failure in CI). */
export function describeWithKustomize(name: string, body: (kustomize: string) => void): void {
  describeNeeding(name, testKustomize(), MISSING, body);
}
