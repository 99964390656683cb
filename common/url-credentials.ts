// Where a config holds a URL, credentials inside it would travel in the workflow input and so
// into history, `ferry status` and the Web UI. Ferry refuses them and takes credentials from a
// worker variable named in the config instead. Pure: used by the config schema.

/** Git's own rule: a scheme (`https://`, `file://`) or a colon before the first slash (`git@host:org/repo.git`). */
export function isRemote(repo: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return true;
  const colon = repo.indexOf(':');
  const slash = repo.indexOf('/');
  return colon > 0 && (slash === -1 || colon < slash);
}

/**
 * Query parameters that plainly carry a credential: these names, and names whose last part
 * (after `-`, `_` or `.`) is one of them, such as `private_token` or `X-Amz-Signature`.
 */
const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set(['token', 'access_token', 'api_key', 'apikey', 'password', 'passwd', 'secret', 'sig', 'signature']);

function credentialParam(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_PARAMS.has(lower) || CREDENTIAL_PARAMS.has(lower.split(/[-_.]/).at(-1) ?? '');
}

/** The first query parameter of `query` (with or without its `?`) that carries a credential. */
function credentialInQuery(query: string): string | undefined {
  for (const name of new URLSearchParams(query).keys()) {
    if (credentialParam(name)) return `its query has "${name}"`;
  }
  return undefined;
}

/**
 * What credential `url` holds, said without its value, or undefined. A user name alone counts
 * for http(s), where it is a token as often as not; an ssh user (`ssh://git@host`) is no secret.
 */
export function credentialsInUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // not a URL: the field's own check says so
  }
  if (parsed.password) return 'it has a password';
  if (parsed.username && /^https?:$/.test(parsed.protocol)) return 'it has a user name';
  return credentialInQuery(parsed.search);
}

/** The same for a path with an optional query (`/healthz?token=…`). */
export function credentialsInPath(path: string): string | undefined {
  const query = path.indexOf('?');
  return query === -1 ? undefined : credentialInQuery(path.slice(query + 1).split('#')[0]);
}

/** The same for a git repository: a URL, an scp-like address (`user@host:path`) or a local path. */
export function credentialsInRepo(repo: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return credentialsInUrl(repo);
  if (!isRemote(repo)) return undefined;
  // scp-like: `user:password@host:path` has a colon before the user's `@`.
  const head = repo.split('/')[0];
  const at = head.lastIndexOf('@');
  return at > 0 && head.slice(0, at).includes(':') ? 'it has a password' : undefined;
}
