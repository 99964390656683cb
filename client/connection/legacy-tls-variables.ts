// Ferry's own TLS variables from before it read Temporal's: they keep working, with a note
// naming the variable to use instead.

/** Old name → Temporal's name for the same file. */
export const LEGACY_TLS_VARIABLES = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
} as const;

/** Says something once per key in this process (a CLI command or a worker connects more than once). */
export type Note = (key: string, line: string) => void;

const noted = new Set<string>();
export const noteOnceOnStderr: Note = (key, line) => {
  if (noted.has(key)) return;
  noted.add(key);
  process.stderr.write(`${line}\n`);
};

/**
 * The variables with each old name copied to its new one (the new one wins when both are set),
 * and for each new name filled so, the old name that gave it (errors name what the user set).
 */
export function takeLegacyTlsVariables(env: Record<string, string>, note: Note = noteOnceOnStderr): { env: Record<string, string>; setBy: Record<string, string> } {
  const given = { ...env };
  const setBy: Record<string, string> = {};
  for (const [old, now] of Object.entries(LEGACY_TLS_VARIABLES)) {
    if (given[old] === undefined) continue;
    if (given[now] === undefined) {
      note(old, `ferry: ${old} is deprecated; set ${now} instead (Temporal's name for it)`);
      given[now] = given[old];
      setBy[now] = old;
    } else {
      note(old, `ferry: ${old} is deprecated and ignored: ${now} is set too, and is used`);
    }
  }
  return { env: given, setBy };
}
