// The placeholders an analysis fills into its HTTP check URLs, its target's address and its
// Prometheus queries, so each check aims at the version under analysis: {version}, {environment}
// and {service} (the Kubernetes Service that reaches that version alone: the canary's or the
// preview colour's during a canary or blue-green step, the main one otherwise).

export const PLACEHOLDERS = ['version', 'environment', 'service'] as const;

export type Placeholder = (typeof PLACEHOLDERS)[number];

export type PlaceholderValues = { version: string; environment: string; service?: string };

const PATTERN = /\{(version|environment|service)\}/g;

/** The placeholders `text` uses, each once, in order of first use. */
export function placeholdersIn(text: string): Placeholder[] {
  return [...new Set([...text.matchAll(PATTERN)].map((m) => m[1] as Placeholder))];
}

function fill(text: string, values: PlaceholderValues, encode: (value: string) => string): string {
  return text.replace(PATTERN, (whole, key: Placeholder) => {
    const value = values[key];
    // An unknown value stays visible, so the check fails naming it rather than aiming elsewhere.
    return value === undefined ? whole : encode(value);
  });
}

/** For a URL: each value percent-encoded, so a version like `shop:1.2` stays one path segment. */
export function fillUrl(template: string, values: PlaceholderValues): string {
  return fill(template, values, encodeURIComponent);
}

/** For PromQL: each value escaped for a string literal. */
export function fillQuery(query: string, values: PlaceholderValues): string {
  return fill(query, values, (value) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"'));
}
