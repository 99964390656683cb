// Docker is not run here, so these checks read docker/worker.Dockerfile and hold it to what the
// worker needs to run from the build: a build stage that runs `npm run build` (tsc and the
// workflow bundle), and a final stage with production dependencies only that starts
// `node bin/ferry.js worker` on that build. Each check is shown failing on an edited copy.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/tools';

const DOCKERFILE = fs.readFileSync(path.join(REPO_ROOT, 'docker/worker.Dockerfile'), 'utf8');

interface Stage {
  name?: string;
  lines: string[];
}

/** The stages, each with its instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const result: Stage[] = [];
  for (const line of instructions) {
    const from = line.match(/^FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?/i);
    if (from) result.push({ name: from[1], lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

function problems(text: string): string[] {
  const all = stages(text);
  const final = all.at(-1);
  if (!final) return ['no FROM'];
  const found: string[] = [];
  const builder = all.find((stage) => stage.lines.some((line) => /^RUN\b.*\bnpm run build\b/.test(line)));
  if (!builder?.name || builder === final) found.push('no named stage before the last runs `npm run build`');
  const copiesBuild = final.lines.some((line) => builder?.name && new RegExp(`^COPY\\s+--from=${builder.name}\\s+\\S*/dist\\s`).test(line));
  if (!copiesBuild) found.push('the final stage does not copy dist/ from the build stage');
  const installs = final.lines.filter((line) => /^RUN\b.*\bnpm (install|ci)\b/.test(line));
  if (installs.length === 0) found.push('the final stage installs no dependencies');
  for (const install of installs) if (!/--omit=dev\b/.test(install)) found.push(`the final stage installs development dependencies: ${install}`);
  if (final.lines.some((line) => /^RUN\b.*\bnpm run build\b/.test(line))) found.push('the final stage builds (it would need TypeScript)');
  if (!final.lines.some((line) => /^COPY\s+bin\/?\s/.test(line))) found.push('the final stage lacks bin/ (bin/ferry.js and the files it requires)');
  if (final.lines.some((line) => /^COPY\s+\.\s/.test(line))) found.push('the final stage copies the whole checkout');
  const cmd = final.lines.filter((line) => /^CMD\b/.test(line)).at(-1);
  if (cmd !== 'CMD ["node", "bin/ferry.js", "worker"]') found.push(`the final stage starts ${cmd ?? 'nothing'}, not node bin/ferry.js worker`);
  return found;
}

test('the worker image runs `ferry worker` from a build made in an earlier stage, on production dependencies only', () => {
  expect(problems(DOCKERFILE)).toEqual([]);
});

test('each check fails on a Dockerfile that breaks it', () => {
  const edit = (from: string | RegExp, to: string) => {
    const edited = DOCKERFILE.replace(from, to);
    expect(edited).not.toBe(DOCKERFILE);
    return problems(edited);
  };
  expect(edit(/^RUN npm run build$/m, 'RUN true')).toContain('no named stage before the last runs `npm run build`');
  expect(edit(/^COPY --from=build \/app\/dist \.\/dist$/m, 'COPY dist ./dist')).toContain('the final stage does not copy dist/ from the build stage');
  expect(edit('npm install --omit=dev', 'npm install')).toEqual(['the final stage installs development dependencies: RUN npm install --no-audit --no-fund && npm cache clean --force']);
  expect(edit(/^COPY bin \.\/bin$/m, 'COPY . .')).toEqual(['the final stage lacks bin/ (bin/ferry.js and the files it requires)', 'the final stage copies the whole checkout']);
  expect(edit(/^COPY bin \.\/bin$/m, 'COPY bin/ferry.js ./bin/')).toEqual(['the final stage lacks bin/ (bin/ferry.js and the files it requires)']);
  expect(edit('CMD ["node", "bin/ferry.js", "worker"]', 'CMD ["npx", "ferry", "worker"]')).toEqual(['the final stage starts CMD ["npx", "ferry", "worker"], not node bin/ferry.js worker']);
  expect(edit(/^COPY --from=build \/app\/dist \.\/dist$/m, 'COPY --from=build /app/dist ./dist\nRUN npm run build')).toContain('the final stage builds (it would need TypeScript)');
});
