// The environment a build or test runs with: not the worker's, which holds every environment's
// database URL, webhook and credentials, but a short allow-list and what the config names.

/**
 * Where tools are and whose home it is (PATH, HOME, USER, LOGNAME, SHELL), locale and time zone
 * (LANG, LANGUAGE, LC_*, TZ), temp folders (TMPDIR, TMP, TEMP), the terminal type (TERM) and CI,
 * which tools read to stay non-interactive. None of these usually holds a credential. Proxies
 * (whose URLs may carry a password), SSH agents, registry and cloud tokens are not here: a
 * command that needs one gets it by name in the config's `passEnv`.
 */
const ALLOWED = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TMP', 'TEMP', 'TERM', 'CI']);
const ALLOWED_PREFIX = /^LC_[A-Z_]+$/;

/**
 * The allow-listed worker variables, then those named in `passEnv` (an unset one stays unset),
 * then Ferry's own (`COMMIT`, `ARTIFACT`, …), which win.
 */
export function commandEnvironment(worker: NodeJS.ProcessEnv, passEnv: readonly string[], ferry: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(worker)) {
    if (value !== undefined && (ALLOWED.has(name) || ALLOWED_PREFIX.test(name) || passEnv.includes(name))) env[name] = value;
  }
  return { ...env, ...ferry };
}
