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
