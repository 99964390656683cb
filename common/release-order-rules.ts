// Which releases may enter an environment: `after` names an environment a release must have gone
// live in first. Only an earlier one makes sense: releases reach environments in order.

/** Enough of git's check-ref-format rules that a name Ferry passes is one git takes. */
export function branchNameOk(name: string): boolean {
  if (name.length === 0 || name.length > 200) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) return false;
  if (name.startsWith('-') || name.includes('//') || name.includes('..') || name.includes('@{') || name === '@') return false;
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return false;
  // Control characters, space and the characters git reserves for revision syntax.
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(name);
}

interface Issue {
  path: (string | number)[];
  message: string;
}

/** `after` must name an environment listed before this one (or be false). Guards unparsed input. */
export function releaseOrderIssues(envs: unknown): Issue[] {
  if (!Array.isArray(envs)) return [];
  const names = envs.map((env) => (typeof env?.name === 'string' ? env.name : undefined));
  const issues: Issue[] = [];
  envs.forEach((env, i) => {
    const after = env?.after;
    if (typeof after !== 'string') return;
    const at = names.indexOf(after);
    if (at === i) issues.push({ path: [i, 'after'], message: `names this environment itself` });
    else if (at < 0) issues.push({ path: [i, 'after'], message: `names "${after}", which is not an environment of this app (${names.filter(Boolean).join(', ')})` });
    else if (at > i) issues.push({ path: [i, 'after'], message: `names "${after}", which comes after ${names[i] ?? `environments[${i}]`}: releases reach environments in the order listed` });
  });
  return issues;
}

/** The environment a release must have gone live in before `envs[index]`: `after`, else the one before it. */
export function requiredBefore(envs: { name: string; after?: string | false }[], index: number): string | undefined {
  const after = envs[index]?.after;
  if (after === false) return undefined;
  if (typeof after === 'string') return after;
  return index > 0 ? envs[index - 1].name : undefined;
}

/** What the refs policy must look at before a promotion enters `envs[index]`. */
export interface EntryCheck {
  index: number;
  environment: string;
  /** `from`: the commit must be on one of these branches. */
  from?: string[];
  /**
   * `after`, when this promotion does not run that environment itself (an earlier run did and it is
   * skipped now): its ledger must list the commit. An `after` environment this promotion runs needs
   * no check: it comes first, and a promotion stops at the first environment that does not succeed.
   */
  wentLiveIn?: string;
}

/** The checks for every environment a promotion will enter (not skipped), in order; those with nothing to check left out. */
export function entryChecks(envs: { name: string; after?: string | false; from?: string[]; skip?: boolean }[]): EntryCheck[] {
  const checks: EntryCheck[] = [];
  envs.forEach((env, index) => {
    if (env.skip) return;
    const required = requiredBefore(envs, index);
    const runsHere = envs.some((other, at) => at < index && other.name === required && !other.skip);
    const check: EntryCheck = { index, environment: env.name };
    if (env.from) check.from = env.from;
    if (required !== undefined && !runsHere) check.wentLiveIn = required;
    if (check.from || check.wentLiveIn) checks.push(check);
  });
  return checks;
}

/** A refusal by `from`, naming the environment, the rule and why (the commit, the branches). */
export const fromRefusal = (environment: string, why: string) => `${environment}.from: ${why}`;

/** A refusal by `after`. */
export const afterRefusal = (environment: string, sha: string, required: string) =>
  `${environment}.after: commit ${sha.slice(0, 7)} never went live in ${required}, or was rolled back out of it (${environment} takes releases only after ${required})`;

/**
 * Whether `sha` went live in an environment and was not taken out of it again: its newest entry in
 * the ledger (newest first) is live now, or was replaced by a later release, not by a rollback.
 * A release promoted again after its rollback counts by that newer entry.
 */
export function wentLive(ledger: { releases: { sha: string; kind: 'promotion' | 'rollback' }[] } | undefined, sha: string): boolean {
  const newest = ledger?.releases.findIndex((release) => release.sha === sha) ?? -1;
  if (newest < 0) return false;
  return newest === 0 || ledger!.releases[newest - 1].kind !== 'rollback';
}
