// The config's refusals for how a Kubernetes target is told what to run: the image of one
// Deployment (image mode), or the manifests in the repository (manifests mode), each with its path.

export interface KubernetesModeIssue {
  path: (string | number)[];
  message: string;
}

interface TargetShape {
  kind?: unknown;
  deployment?: unknown;
  manifests?: unknown;
  container?: unknown;
  url?: unknown;
}

export function kubernetesModeIssues(target: TargetShape | undefined, strategy: unknown): KubernetesModeIssue[] {
  if (target?.kind !== 'kubernetes') return [];
  const manifests = target.manifests !== undefined;
  if (!manifests) {
    return target.deployment === undefined ? [{ path: ['target', 'deployment'], message: 'is required unless target.manifests names the manifests to apply' }] : [];
  }
  const issues: KubernetesModeIssue[] = [];
  if (target.container !== undefined) {
    issues.push({ path: ['target', 'container'], message: 'is for image mode: with manifests, the image is set wherever the manifests name target.manifests.image' });
  }
  if (strategy === 'canary' && target.deployment === undefined) {
    issues.push({ path: ['target', 'deployment'], message: 'must name the Deployment of the manifests that takes the canary' });
  }
  if (strategy === 'blue-green') {
    issues.push({ path: ['strategy', 'kind'], message: 'blue-green is not available with target.manifests yet: use rolling or canary, or image mode (target.deployment)' });
  }
  return issues;
}

export interface KubernetesClaim {
  namespace: string;
  /** Absent for manifests: they may hold any Deployment of the namespace. */
  deployment?: string;
  what: string;
  namespaceWhat: string;
}

/** What an environment's Kubernetes target changes: a whole namespace with manifests, one Deployment without. */
export function kubernetesClaim(target: TargetShape & { context?: unknown; namespace?: unknown }): KubernetesClaim | undefined {
  if (target.kind !== 'kubernetes' || typeof target.context !== 'string' || typeof target.namespace !== 'string') return undefined;
  const namespace = JSON.stringify([target.context, target.namespace]);
  const namespaceWhat = `namespace ${target.namespace} of context ${target.context}`;
  if (target.manifests !== undefined) return { namespace, what: namespaceWhat, namespaceWhat };
  if (typeof target.deployment !== 'string') return undefined;
  return { namespace, deployment: target.deployment, what: `deployment ${target.deployment} in ${namespaceWhat}`, namespaceWhat };
}

export function overlaps(a: KubernetesClaim, b: KubernetesClaim): boolean {
  return a.namespace === b.namespace && (a.deployment === undefined || b.deployment === undefined || a.deployment === b.deployment);
}
