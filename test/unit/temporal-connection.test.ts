// Where Ferry connects, read as Temporal's tools read it: flag > variable > profile > default,
// and every bad value refused before anything starts, naming the variable, file or profile.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../../common/problems';
import { temporalConnection, type Note } from '../../client/connection/temporal-connection';
import { tempDir } from '../helpers/git-repo';

const dir = tempDir('temporal-connection');
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};
const cert = write('tls/client.pem', '-----BEGIN CERTIFICATE-----\n');
const key = write('tls/client.key', '-----BEGIN PRIVATE KEY-----\n');
const ca = write('tls/ca.pem', '-----BEGIN CERTIFICATE-----\n');
const configFile = write(
  'temporal.toml',
  `[profile.default]
address = "from-default-profile:7233"
namespace = "default-profile-ns"

[profile.cloud]
address = "cloud.example:7233"
namespace = "cloud-ns"
api_key = "profile-secret-key"
`,
);
/** No HOME: the default config file of whoever runs the tests is never read. */
const quiet: Note = () => undefined;
const connection = (env: NodeJS.ProcessEnv, flags = {}) => temporalConnection(env, flags, quiet);
const refusal = (env: NodeJS.ProcessEnv, flags = {}) => {
  try {
    connection(env, flags);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('temporalConnection precedence: flag > variable > profile > default', () => {
  test('defaults: localhost:7233, namespace default, no TLS, no key', () => {
    expect(connection({})).toEqual({ address: 'localhost:7233', namespace: 'default', tls: undefined, apiKey: undefined, metadata: undefined, profile: undefined });
  });

  test('the default profile of the config file, then the variables over it, then the flags over both', () => {
    const env = { TEMPORAL_CONFIG_FILE: configFile };
    expect(connection(env)).toMatchObject({ address: 'from-default-profile:7233', namespace: 'default-profile-ns', profile: 'default' });
    const withVars = { ...env, TEMPORAL_ADDRESS: 'from-env:7233', TEMPORAL_NAMESPACE: 'env-ns' };
    expect(connection(withVars)).toMatchObject({ address: 'from-env:7233', namespace: 'env-ns' });
    expect(connection(withVars, { address: 'from-flag:7233', namespace: 'flag-ns' })).toMatchObject({ address: 'from-flag:7233', namespace: 'flag-ns' });
  });

  test('the config file at its default place (XDG_CONFIG_HOME, else HOME/.config), as the Temporal CLI finds it', () => {
    write('xdg/temporalio/temporal.toml', '[profile.default]\naddress = "xdg:7233"\n');
    write('home/.config/temporalio/temporal.toml', '[profile.default]\naddress = "home:7233"\n');
    expect(connection({ XDG_CONFIG_HOME: path.join(dir, 'xdg'), HOME: path.join(dir, 'home') }).address).toBe('xdg:7233');
    expect(connection({ HOME: path.join(dir, 'home') }).address).toBe('home:7233');
    expect(connection({ HOME: path.join(dir, 'nobody-home') }).address).toBe('localhost:7233');
  });

  test('--profile over TEMPORAL_PROFILE over "default"; an API key in a profile turns TLS on', () => {
    const env = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'default' };
    expect(connection(env, { profile: 'cloud' })).toMatchObject({ address: 'cloud.example:7233', namespace: 'cloud-ns', apiKey: 'profile-secret-key', tls: true, profile: 'cloud' });
    expect(connection({ ...env, TEMPORAL_PROFILE: 'cloud' })).toMatchObject({ profile: 'cloud', namespace: 'cloud-ns' });
    expect(connection({ ...env, TEMPORAL_PROFILE: 'cloud', TEMPORAL_TLS: 'false' })).toMatchObject({ tls: false, apiKey: 'profile-secret-key' });
  });

  test('an empty variable counts as unset, as CI passes secrets nobody set', () => {
    expect(connection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_ADDRESS: '', TEMPORAL_API_KEY: '', TEMPORAL_PROFILE: '' })).toMatchObject({
      address: 'from-default-profile:7233',
      apiKey: undefined,
      tls: undefined,
    });
  });

  test("Temporal's TLS variables give the files; a client certificate goes with its key", () => {
    const tls = connection({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key, TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca }).tls;
    expect(tls).toMatchObject({ clientCertPair: { crt: expect.any(Uint8Array), key: expect.any(Uint8Array) }, serverRootCACertificate: expect.any(Uint8Array) });
    expect(Buffer.from((tls as { clientCertPair: { crt: Uint8Array } }).clientCertPair.crt).toString()).toContain('BEGIN CERTIFICATE');
  });
});

describe("Ferry's old TLS variables", () => {
  test('keep working, with a note naming the new variable, once per variable', () => {
    const notes: string[] = [];
    const seen = new Set<string>();
    const note: Note = (k, line) => {
      if (!seen.has(k)) notes.push(line);
      seen.add(k);
    };
    const env = { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca };
    expect(temporalConnection(env, {}, note).tls).toMatchObject({ clientCertPair: expect.any(Object), serverRootCACertificate: expect.any(Uint8Array) });
    temporalConnection(env, {}, note);
    expect(notes).toEqual([
      expect.stringMatching(/TEMPORAL_TLS_CERT is deprecated; set TEMPORAL_TLS_CLIENT_CERT_PATH instead/),
      expect.stringMatching(/TEMPORAL_TLS_KEY is deprecated; set TEMPORAL_TLS_CLIENT_KEY_PATH instead/),
      expect.stringMatching(/TEMPORAL_TLS_CA is deprecated; set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead/),
    ]);
  });

  test('the new variable wins when both are set, and the note says the old one is ignored', () => {
    const notes: string[] = [];
    const tls = temporalConnection({ TEMPORAL_TLS_CA: '/nowhere/old-ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca }, {}, (_k, line) => notes.push(line)).tls;
    expect(tls).toMatchObject({ serverRootCACertificate: expect.any(Uint8Array) });
    expect(notes).toEqual([expect.stringMatching(/TEMPORAL_TLS_CA is deprecated and ignored: TEMPORAL_TLS_SERVER_CA_CERT_PATH is set too/)]);
  });
});

describe('temporalConnection refuses bad settings, naming what is wrong', () => {
  test('a TEMPORAL_CONFIG_FILE that does not exist', () => {
    expect(refusal({ TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })).toMatch(/TEMPORAL_CONFIG_FILE: .*missing\.toml: no such file/);
  });

  test('a profile that does not exist, naming --profile or TEMPORAL_PROFILE, the file and the profiles it has', () => {
    expect(refusal({ TEMPORAL_CONFIG_FILE: configFile }, { profile: 'staging' })).toMatch(/--profile: no profile 'staging' in TEMPORAL_CONFIG_FILE .*temporal\.toml \(it has: default, cloud\)/);
    expect(refusal({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'prod' })).toMatch(/TEMPORAL_PROFILE: no profile 'prod' in/);
    expect(refusal({ HOME: path.join(dir, 'nobody-home'), TEMPORAL_PROFILE: 'prod' })).toMatch(
      /TEMPORAL_PROFILE: no profile 'prod' in the default Temporal config file .*nobody-home.*, which does not exist/,
    );
  });

  test('a malformed config file: where, never its content (an api_key on the bad line stays out)', () => {
    const bad = write('bad.toml', '[profile.default]\napi_key = "malformed-secret-value\n');
    const message = refusal({ TEMPORAL_CONFIG_FILE: bad });
    expect(message).toMatch(/TEMPORAL_CONFIG_FILE .*bad\.toml: not valid TOML at line 2, column \d+/);
    expect(message).not.toContain('malformed-secret-value');
    const wrongType = write('wrong-type.toml', '[profile.default]\naddress = 7233\napi_key = 42\n');
    expect(refusal({ TEMPORAL_CONFIG_FILE: wrongType })).toMatch(/wrong-type\.toml: profile\.default\.address: /);
  });

  test('a TLS file that is not there, naming the variable that named it (old or new) or the profile key', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/nowhere/cert.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: key })).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH: \/nowhere\/cert\.pem: no such file/);
    expect(refusal({ TEMPORAL_TLS_CA: '/nowhere/ca.pem' })).toMatch(/TEMPORAL_TLS_CA: \/nowhere\/ca\.pem: no such file/);
    const withTls = write('tls.toml', `[profile.default]\ntls = { client_cert_path = "${cert}", client_key_path = "/nowhere/key.pem" }\n`);
    expect(refusal({ TEMPORAL_CONFIG_FILE: withTls })).toMatch(/tls\.client_key_path of profile 'default' in .*tls\.toml: \/nowhere\/key\.pem: no such file/);
  });

  test('a certificate without its key, or a key without its certificate', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH needs TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(refusal({ TEMPORAL_TLS_KEY: key })).toMatch(/TEMPORAL_TLS_KEY needs TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  test('an address or namespace that cannot be one, naming the flag or variable', () => {
    expect(refusal({}, { address: ' ' })).toMatch(/--address: must be host:port/);
    expect(refusal({ TEMPORAL_NAMESPACE: 'n'.repeat(256) })).toMatch(/TEMPORAL_NAMESPACE: must be a namespace name/);
  });

  test('an API key never appears in an error', () => {
    const message = refusal({ TEMPORAL_API_KEY: 'env-secret-key', TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_TLS_CLIENT_CERT_PATH: '/nowhere' }, { profile: 'cloud' });
    expect(message).not.toMatch(/env-secret-key|profile-secret-key/);
  });
});

describe('values the SDK would refuse or misread are refused first, naming the variable or field, never the value', () => {
  test('an API key or grpc_meta value that is not printable ASCII (the SDK would echo it); a grpc_meta key that is no header name', () => {
    const apiKey = refusal({ TEMPORAL_API_KEY: 'SECRET-APIKEY-NL\n' });
    expect(apiKey).toMatch(/TEMPORAL_API_KEY: must be printable ASCII/);
    expect(apiKey).not.toContain('SECRET-APIKEY-NL');
    const inProfile = write('meta.toml', '[profile.default]\napi_key = "PROFILE-SECRET\\t"\n[profile.default.grpc_meta]\nauthorization = "Bearer META-SECRET\\n"\n"Bad Key" = "x"\n');
    const message = refusal({ TEMPORAL_CONFIG_FILE: inProfile });
    expect(message).toMatch(/api_key of profile 'default' in .*meta\.toml: must be printable ASCII/);
    expect(message).toMatch(/grpc_meta\.authorization of profile 'default' in .*meta\.toml: must be printable ASCII/);
    expect(message).toMatch(/grpc_meta key "bad key" of profile 'default' .*: must be lower-case letters, digits, '\.', '_' or '-'/);
    expect(message).not.toMatch(/PROFILE-SECRET|META-SECRET/);
    expect(refusal({ TEMPORAL_GRPC_META_X_TOKEN: 'caf\u00e9' })).toMatch(/TEMPORAL_GRPC_META_X_TOKEN: must be printable ASCII/);
    expect(connection({ TEMPORAL_API_KEY: 'ok-key', TEMPORAL_GRPC_META_X_TOKEN: 'Bearer a.b~c' })).toMatchObject({ apiKey: 'ok-key', metadata: { 'x-token': 'Bearer a.b~c' } });
  });

  test('TEMPORAL_TLS other than true, false, 1 or 0 (the SDK reads TRUE, yes or on as false: the key would go in plaintext)', () => {
    for (const value of ['yes', 'on', 'enabled', '2']) expect(refusal({ TEMPORAL_TLS: value, TEMPORAL_API_KEY: 'k' })).toMatch(/TEMPORAL_TLS: must be true or false \(or 1 or 0\)/);
    expect(connection({ TEMPORAL_TLS: 'TRUE' }).tls).toBeTruthy();
    expect(connection({ TEMPORAL_TLS: 'False', TEMPORAL_API_KEY: 'k' }).tls).toBe(false);
    expect(connection({ TEMPORAL_TLS: '1' }).tls).toBeTruthy();
    expect(connection({ TEMPORAL_TLS: '0', TEMPORAL_API_KEY: 'k' }).tls).toBe(false);
  });

  test('an address that is not host:port: a scheme, no port, a port out of range', () => {
    for (const address of ['foo', 'http://localhost:7233', 'localhost:0', 'localhost:65536', 'host:port', ':7233']) {
      expect(refusal({}, { address })).toMatch(/--address: must be host:port/);
    }
    expect(refusal({ TEMPORAL_ADDRESS: 'grpc://x:1' })).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
    for (const address of ['localhost:1', 'temporal.example.com:65535', '10.0.0.1:7233', '[::1]:7233', 'my_host-1:7233']) expect(connection({}, { address }).address).toBe(address);
  });

  test('a TLS part given as both a path and data, naming both', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key, TEMPORAL_TLS_CLIENT_KEY_DATA: '-----BEGIN PRIVATE KEY-----\n' })).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH and TEMPORAL_TLS_CLIENT_KEY_DATA: set one, not both/,
    );
    const both = write('both.toml', `[profile.default]\ntls = { server_ca_cert_path = "${ca}" }\n`);
    expect(refusal({ TEMPORAL_CONFIG_FILE: both, TEMPORAL_TLS_SERVER_CA_CERT_DATA: '-----BEGIN CERTIFICATE-----\n' })).toMatch(
      /tls\.server_ca_cert_path of profile 'default' in .*both\.toml and TEMPORAL_TLS_SERVER_CA_CERT_DATA: set one, not both/,
    );
  });

  test('a TLS file or data that is not PEM, naming the variable and the file', () => {
    const der = write('tls/ca.der', '0\x82\x01\x0a\x02\x82\x01\x01');
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: der })).toMatch(/TEMPORAL_TLS_SERVER_CA_CERT_PATH: .*ca\.der: not PEM \(no -----BEGIN line/);
    const message = refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY-DATA-SECRET' });
    expect(message).toMatch(/TEMPORAL_TLS_CLIENT_KEY_DATA: not PEM \(no -----BEGIN line\)/);
    expect(message).not.toContain('KEY-DATA-SECRET');
  });

  test('a key given as data without its certificate names the *_DATA variable', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_KEY_DATA: '-----BEGIN PRIVATE KEY-----\n' })).toMatch(/TEMPORAL_TLS_CLIENT_KEY_DATA needs TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CLIENT_CERT_DATA/);
  });
});

describe('keys of the config file Ferry does not know', () => {
  test('are named on stderr with the file, as a note (the Temporal SDKs ignore them too), never with their value', () => {
    const typo = write('typo.toml', 'api_key = "TOP-SECRET"\n[profile.default]\nadress = "typo:7233"\ntls = { disable = true }\n');
    const notes: string[] = [];
    expect(temporalConnection({ TEMPORAL_CONFIG_FILE: typo }, {}, (_k, line) => notes.push(line)).address).toBe('localhost:7233');
    expect(notes).toEqual([
      expect.stringMatching(/typo\.toml: unknown key api_key, ignored/),
      expect.stringMatching(/typo\.toml: unknown key profile\.default\.adress, ignored/),
      expect.stringMatching(/typo\.toml: unknown key profile\.default\.tls\.disable, ignored/),
    ]);
    expect(notes.join('\n')).not.toContain('TOP-SECRET');
  });
});

describe('the secrets a connection was built with are blanked out of any message printed later', () => {
  test('the API key, grpc_meta values and a TLS key given as data', () => {
    const { redactSecrets } = jest.requireActual<typeof import('../../client/connection/known-secrets')>('../../client/connection/known-secrets');
    const keyBody = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    connection({
      TEMPORAL_API_KEY: 'redact-me-api-key',
      TEMPORAL_GRPC_META_X_TOKEN: 'redact-me-meta',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_DATA: `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----\n`,
    });
    expect(redactSecrets('Metadata string value "Bearer redact-me-api-key" ... redact-me-meta ... ' + keyBody)).toBe('Metadata string value "Bearer ***" ... *** ... ***');
    expect(redactSecrets('an ordinary message: no such file')).toBe('an ordinary message: no such file');
  });
});
