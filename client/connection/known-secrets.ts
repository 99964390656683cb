// The secret values this process was given to connect with (the API key, gRPC metadata values,
// a TLS key given as data or read from its file), so that whatever prints an error can blank
// them: the SDK and gRPC quote header values in their messages ("Metadata string value …").

const secrets = new Set<string>();
/** Shorter values would blank ordinary words out of messages; no real key is this short. */
const MIN_SECRET_LENGTH = 6;

/** Remembers a value (and its lines, for a PEM key quoted in part) as one never to print. */
export function rememberSecret(value: string | Uint8Array | undefined): void {
  if (value === undefined) return;
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  for (const candidate of [text, text.trim(), ...text.split(/\r?\n/).map((line) => line.trim())]) {
    if (candidate.length >= MIN_SECRET_LENGTH && !candidate.startsWith('-----')) secrets.add(candidate);
  }
}

/** The text with every remembered secret replaced by ***. */
export function redactSecrets(text: string): string {
  // Longest first: a line of a key is part of the whole key.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) text = text.split(secret).join('***');
  return text;
}
