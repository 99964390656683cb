// What a build or test prints reaches the worker log, and its last lines an error in workflow
// history: every secret the worker holds is masked there, in every form a command may print it.

/**
 * Shorter values are left alone: masking "on" or "123" would shred every line of output, and a
 * secret that short is guessable anyway. A shorter password inside a URL is still masked as part
 * of the whole URL.
 */
export const MIN_SECRET_CHARS = 4;

/**
 * Names that usually hold a credential, for the worker's variables the config does not name. A
 * guess by name needs a longer value: `FEATURE_KEY=true` must not mask every "true" in a build log.
 */
const SECRET_NAME = /(URL|TOKEN|KEY|SECRET|PASSWORD|PASS|CREDENTIAL)/i;
const MIN_GUESSED_SECRET_CHARS = 8;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A URL's user and password as written in it (percent-encoded); undefined for anything else. */
function urlCredentials(value: string): { user: string; password: string } | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const url = new URL(value.trim());
    return url.password ? { user: url.username, password: url.password } : undefined;
  } catch {
    return undefined;
  }
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** An encoder that gives up on text it cannot encode (a lone surrogate) rather than throw. */
const orNothing =
  (encode: (text: string) => string) =>
  (text: string): string[] => {
    try {
      return [encode(text)];
    } catch {
      return [];
    }
  };
const lowercaseHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
/** RFC 3986's unreserved set, stricter than encodeURIComponent: `!'()*` encoded too. */
const strictlyEncoded = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** As an HTML form and URLSearchParams write it: a space is `+`. */
const formEncoded = (text: string) => new URLSearchParams([['', text]]).toString().slice(1);

/**
 * How programs commonly write text into a URL, a form or JSON: percent-encoded (as
 * encodeURIComponent, RFC 3986 strictly, a form, encodeURI do it), each also with lowercase hex,
 * and JSON-escaped (inside a JSON string).
 */
function encodings(text: string): string[] {
  const percent = [encodeURIComponent, strictlyEncoded, formEncoded, encodeURI].flatMap((encode) => orNothing(encode)(text));
  return [...percent, ...percent.map(lowercaseHex), JSON.stringify(text).slice(1, -1)];
}

/**
 * The forms in which `value` may show up in output: itself, URL-encoded, base64-encoded (a
 * Kubernetes Secret's data, and an API error quoting one), each line of a multi-line value (a key
 * file printed line by line), and for a URL with credentials its password (as written, decoded,
 * re-encoded) and the Basic auth header made of user and password; then the other encodings of
 * the value (and of such a password): percent-encoded the other usual ways, and JSON-escaped. The base64 form is without
 * its padding, which it starts, so padded and unpadded encodings are both found; a value too short
 * to mask has none, although its encoding would be long enough.
 */
export function secretForms(value: string): string[] {
  const forms = new Set([value, ...orNothing(encodeURIComponent)(value)]);
  if (value.length >= MIN_SECRET_CHARS) forms.add(base64(value).replace(/=+$/, ''));
  if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n|\r/)) forms.add(line.trim());
  const credentials = urlCredentials(value);
  if (credentials) {
    const user = decoded(credentials.user);
    const password = decoded(credentials.password);
    for (const form of [credentials.password, password, ...encodings(password)]) forms.add(form);
    forms.add(base64(`${user}:${password}`));
    forms.add(base64(`${credentials.user}:${credentials.password}`));
  }
  for (const form of encodings(value)) forms.add(form);
  return [...forms].filter((form) => form.length >= MIN_SECRET_CHARS);
}

/** The secrets to mask: the variables the config names as secrets, and those whose names look like one. */
export function secretsIn(env: NodeJS.ProcessEnv, secretNames: readonly string[]): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (secretNames.includes(name) || (SECRET_NAME.test(name) && value.length >= MIN_GUESSED_SECRET_CHARS)) secrets.set(name, value);
  }
  return secrets;
}

export type Masker = (text: string) => string;

/**
 * A function that replaces every occurrence of every form of every secret with `***NAME***`.
 * Occurrences that overlap (one secret inside or across another) are replaced as one stretch,
 * so no piece of either survives. Text is masked as given: a secret split over two calls (two
 * lines, say) is not recognised, which is why commands' output is masked line by line and each
 * line of a multi-line secret is a form of its own.
 */
export function createMasker(secrets: ReadonlyMap<string, string>): Masker {
  const forms = new Map<string, string>();
  for (const [name, value] of secrets) for (const form of secretForms(value)) if (!forms.has(form)) forms.set(form, name);
  // Longest first, so that of overlapping matches starting at one place the longest names the stretch.
  const ordered = [...forms].sort(([a], [b]) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;

  return (text) => {
    const hits: Array<{ start: number; end: number; name: string }> = [];
    for (const [form, name] of ordered) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) hits.push({ start: at, end: at + form.length, name });
    }
    if (hits.length === 0) return text;
    hits.sort((a, b) => a.start - b.start || b.end - a.end);
    let masked = '';
    let copied = 0;
    for (let i = 0; i < hits.length;) {
      const { start, name } = hits[i];
      let end = hits[i].end;
      for (i++; i < hits.length && hits[i].start < end; i++) end = Math.max(end, hits[i].end);
      masked += `${text.slice(copied, start)}***${name}***`;
      copied = end;
    }
    return masked + text.slice(copied);
  };
}
