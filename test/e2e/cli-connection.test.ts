// The real `ferry` command against a real Temporal dev server, connected the way Temporal's own
// tools connect: a profile of a TOML config file, flags over it, an API key that never shows.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { startTestDevServer } from '../helpers/dev-server';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { freePort } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const dir = tempDir('cli-connection');
const API_KEY = 'ferry-test-api-key-0d9f8e7c6b5a';
const DUMP_MODULES = path.join(dir, 'dump-modules.js');
fs.writeFileSync(DUMP_MODULES, "process.on('exit', () => require('fs').writeFileSync(process.env.FERRY_TEST_MODULES, Object.keys(require.cache).join('\\n')));\n");
let server: DevServer;
let closedPort: number;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `ferry` with only the variables given (and PATH): no TEMPORAL_* or config file of whoever runs the tests. */
function ferry(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, FERRY, ...args], { cwd: dir, env: { PATH: process.env.PATH!, HOME: path.join(dir, 'home'), ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const configFile = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  server = await startTestDevServer();
  closedPort = await freePort();
});

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

describe('ferry connects through a profile of the Temporal config file', () => {
  test('TEMPORAL_CONFIG_FILE and --profile pick the profile; the command reaches the server it names', async () => {
    const file = configFile('temporal.toml', `[profile.default]\naddress = "127.0.0.1:${closedPort}"\n\n[profile.dev]\naddress = "${server.address}"\nnamespace = "default"\n`);
    const run = await ferry(['--profile', 'dev', 'list', '-o', 'json'], { TEMPORAL_CONFIG_FILE: file });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    const byVariable = await ferry(['status', 'ferry-none-0000000', '-o', 'yaml'], { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'dev' });
    expect(byVariable).toMatchObject({ code: 2, stderr: 'no such promotion: ferry-none-0000000\n' });
  });

  test('--address beats the profile, and the profile beats the default', async () => {
    const file = configFile('unreachable.toml', `[profile.default]\naddress = "127.0.0.1:${closedPort}"\n`);
    const flagged = await ferry(['list', '--address', server.address], { TEMPORAL_CONFIG_FILE: file });
    expect(flagged).toMatchObject({ code: 0 });
    const version = await ferry(['version', '-o', 'json'], { TEMPORAL_CONFIG_FILE: file });
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout).server).toMatchObject({ address: `127.0.0.1:${closedPort}`, unreachable: expect.any(String) });
  }, 30_000);

  test('ferry version: settings that are not valid are bad input (exit 2), an unreachable server is not', async () => {
    const file = configFile('version-profiles.toml', `[profile.default]\naddress = "127.0.0.1:${closedPort}"\n`);
    const noProfile = await ferry(['--profile', 'nope', 'version'], { TEMPORAL_CONFIG_FILE: file });
    expect(noProfile).toMatchObject({ code: 2, stdout: '' });
    expect(noProfile.stderr).toContain("--profile: no profile 'nope'");
    const emptyAddress = await ferry(['--address', '', 'version'], {});
    expect(emptyAddress).toMatchObject({ code: 2, stdout: '' });
    expect(emptyAddress.stderr).toContain('--address');
    const scheme = await ferry(['--address', 'http://localhost:7233', 'version'], {});
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('--address: must be host:port');
  }, 30_000);

  test('ferry version names the server version when it answers', async () => {
    const run = await ferry(['version', '-o', 'json'], { TEMPORAL_ADDRESS: server.address });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ferry: JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version,
      temporalSdk: expect.stringMatching(/^1\.\d+\.\d+/),
      server: { address: server.address, namespace: 'default', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
  });

  test('a profile that does not exist, or a malformed file: exit 2 naming it, nothing run', async () => {
    const file = configFile('one-profile.toml', `[profile.default]\naddress = "${server.address}"\n`);
    const missing = await ferry(['--profile', 'prod', 'list'], { TEMPORAL_CONFIG_FILE: file });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--profile: no profile 'prod' in TEMPORAL_CONFIG_FILE ${file} (it has: default)`);
    const malformed = await ferry(['list'], { TEMPORAL_CONFIG_FILE: configFile('malformed.toml', '[profile.default\naddress = 1\n') });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/TEMPORAL_CONFIG_FILE .*malformed\.toml: not valid TOML at line 1/);
    const noCert = await ferry(['list'], { TEMPORAL_ADDRESS: server.address, TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'none.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: file });
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toContain(`TEMPORAL_TLS_CLIENT_CERT_PATH: ${path.join(dir, 'none.pem')}: no such file`);
  });

  test("the old TLS variables still work, with one note naming Temporal's", async () => {
    const run = await ferry(['list', '--address', server.address], { TEMPORAL_TLS_CA: path.join(dir, 'absent-ca.pem') });
    expect(run.code).toBe(2);
    expect(run.stderr.match(/TEMPORAL_TLS_CA is deprecated; set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead/g)).toHaveLength(1);
    expect(run.stderr).toContain('TEMPORAL_TLS_CA: ');
  });
});

describe('an API key never appears in what ferry prints', () => {
  const outputs: Run[] = [];
  afterAll(() => {
    for (const run of outputs) expect(`${run.stdout}\n${run.stderr}`).not.toContain(API_KEY);
  });

  test('connected with the key (a profile, TLS off for the dev server), failing, and refusing', async () => {
    const file = configFile('keyed.toml', `[profile.default]\naddress = "${server.address}"\napi_key = "${API_KEY}"\ntls = { disabled = true }\n`);
    const ok = await ferry(['list', '-o', 'yaml'], { TEMPORAL_CONFIG_FILE: file });
    expect(ok.code).toBe(0);
    const version = await ferry(['version', '-o', 'json'], { TEMPORAL_CONFIG_FILE: file });
    expect(JSON.parse(version.stdout).server.version).toBeDefined();
    const missing = await ferry(['status', 'ferry-none-0000000'], { TEMPORAL_CONFIG_FILE: file });
    expect(missing.code).toBe(2);
    const unreachable = await ferry(['list'], { TEMPORAL_API_KEY: API_KEY, TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`, TEMPORAL_TLS: 'false' });
    expect(unreachable.code).toBe(1);
    const refused = await ferry(['--profile', 'other', 'list'], { TEMPORAL_CONFIG_FILE: configFile('keyed-bad.toml', `[profile.default]\napi_key = "${API_KEY}\n`) });
    expect(refused.code).toBe(2);
    const badCert = await ferry(['list'], { TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CLIENT_KEY_PATH: '/nowhere' });
    expect(badCert.code).toBe(2);
    outputs.push(ok, version, missing, unreachable, refused, badCert);
  }, 60_000);

  test('a key or grpc_meta value with a line break (the SDK would quote it): exit 2 naming the variable or field, in every command', async () => {
    const env = { TEMPORAL_API_KEY: `${API_KEY}\n`, TEMPORAL_TLS: 'false', TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` };
    const listed = await ferry(['list'], env);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain('TEMPORAL_API_KEY: must be printable ASCII');
    const version = await ferry(['version', '-o', 'json'], env);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('TEMPORAL_API_KEY: must be printable ASCII');
    const worker = await ferry(['worker'], env);
    expect(worker.code).toBe(2);
    const file = configFile('meta-nl.toml', `[profile.default]\naddress = "127.0.0.1:${closedPort}"\ntls = { disabled = true }\n[profile.default.grpc_meta]\nauthorization = "Bearer ${API_KEY}\\n"\n`);
    const meta = await ferry(['list'], { TEMPORAL_CONFIG_FILE: file });
    expect(meta.code).toBe(2);
    expect(meta.stderr).toContain(`grpc_meta.authorization of profile 'default' in ${file}: must be printable ASCII`);
    outputs.push(listed, version, worker, meta);
  }, 60_000);
});

describe('ferry status loads only what it needs', () => {
  const HEAVY = ['@kubernetes/client-node', '/pg/', 'simple-git', '@temporalio/worker', `${path.sep}activities${path.sep}`, `${path.sep}worker${path.sep}`];
  const loaded = async (args: string[]) => {
    const list = path.join(dir, `modules-${args.join('-')}.txt`);
    const run = await ferry(args, { TEMPORAL_ADDRESS: server.address, FERRY_TEST_MODULES: list }, ['--require', DUMP_MODULES]);
    return { run, modules: fs.readFileSync(list, 'utf8').split('\n') };
  };

  test.each([[['status', '--help']], [['status', 'ferry-none-0000000']]])('ferry %p: not the worker, the Kubernetes client, pg, git or the activities', async (args) => {
    const { run, modules } = await loaded(args);
    expect(run.code).toBe(args[1] === '--help' ? 0 : 2);
    expect(modules.filter((m) => m.includes('commander'))).not.toHaveLength(0);
    const relative = modules.map((m) => m.replace(REPO_ROOT, ''));
    expect(relative.filter((m) => HEAVY.some((heavy) => m.includes(heavy)))).toEqual([]);
  });
});
