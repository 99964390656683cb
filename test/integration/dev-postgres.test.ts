// `ferry dev`'s PostgreSQL keeps the apps' data in the dev folder, like the Temporal SQLite file:
// stopped (or killed) and started again, the databases, their tables and rows are still there.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDevPostgres } from '../../client/dev/dev-postgres';
import { parseConfig } from '../../common/parse-config';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { query } from '../helpers/postgres';

const dataDirs: string[] = [];
afterAll(() => {
  // As root, a private dev folder holds a link to the data kept where `nobody` can reach it.
  for (const link of new Set(dataDirs)) if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.rmSync(fs.readlinkSync(link), { recursive: true, force: true });
  removeTempDirs();
});

const CONFIG = parseConfig(
  `app: shop
repo: .
artifact: "shop:{shortSha}"
build: { command: "true" }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: 18981 }
    database: { urlEnv: DEV_DATABASE_URL }
  - name: staging
    target: { kind: local, start: "node server.js", port: 18982 }
    database: { urlEnv: STAGING_DATABASE_URL }
`,
  'dev-postgres test',
);

function start(dir: string, env: NodeJS.ProcessEnv) {
  dataDirs.push(path.join(dir, 'postgres'));
  const lines: string[] = [];
  return startDevPostgres({ dir, configs: [CONFIG], log: (line) => lines.push(line), env }).then((postgres) => ({ postgres, lines }));
}

test('the dev PostgreSQL keeps its data in the dev folder across restarts, a stale postmaster.pid included', async () => {
  const dir = tempDir('dev-folder');

  const firstEnv: NodeJS.ProcessEnv = {};
  const first = await start(dir, firstEnv);
  try {
    expect(first.lines.join('\n')).toContain(path.join(dir, 'postgres'));
    await query(firstEnv.DEV_DATABASE_URL!, 'create table orders (id int primary key, total int not null)');
    await query(firstEnv.DEV_DATABASE_URL!, 'insert into orders select i, i * 3 from generate_series(1, 25) i');
    await query(firstEnv.STAGING_DATABASE_URL!, 'create table kept (id int)');
  } finally {
    await first.postgres.stop();
  }
  expect(fs.existsSync(path.join(dir, 'postgres', 'PG_VERSION'))).toBe(true);

  // A `ferry dev` that was killed leaves postmaster.pid behind; its PID may since belong to anything.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  const pidFile = path.join(dir, 'postgres', 'postmaster.pid');
  fs.writeFileSync(pidFile, `${stranger.pid}\n${path.join(dir, 'postgres')}\n1700000000\n5432\n/tmp\n127.0.0.1\n  5432001         0\nready   \n`);

  const secondEnv: NodeJS.ProcessEnv = {};
  try {
    const second = await start(dir, secondEnv);
    try {
      expect(await query(secondEnv.DEV_DATABASE_URL!, 'select count(*)::int as n, sum(total)::int as total from orders')).toEqual([{ n: 25, total: 975 }]);
      expect(await query(secondEnv.STAGING_DATABASE_URL!, `select to_regclass('kept') is not null as kept`)).toEqual([{ kept: true }]);
    } finally {
      await second.postgres.stop();
    }
  } finally {
    stranger.kill('SIGKILL');
  }
});

test('a PostgreSQL still running on the dev folder is not started twice: the second start names its PID', async () => {
  const dir = tempDir('dev-folder-busy');
  fs.chmodSync(dir, 0o755); // as `.ferry` in a checkout is
  const first = await start(dir, {});
  try {
    const pid = fs.readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0];
    await expect(start(dir, {})).rejects.toThrow(new RegExp(`already running on ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*PID ${pid}`, 's'));
  } finally {
    await first.postgres.stop();
  }
});
