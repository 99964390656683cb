// The names Ferry gives objects of its own in an environment's namespace. An object of the
// manifests with one of them would be overwritten or deleted by Ferry (the record rewritten over
// it, the canary twin or version Service removed at promote), so the render refuses it.
import type { KubernetesObject } from './objects';
import { ManifestsProblem } from './objects';

/** The Secret holding Ferry's record of the revisions it applied (revisions.ts). */
export const recordName = (app: string) => `ferry-${app}-revisions`;

/** The canary's twin of the Deployment `target.deployment` names (canary.ts). */
export const canaryTwinName = (deployment: string) => `${deployment}-canary`;

/** The Services reaching one version alone (version-services.ts names them `<service>-<role>`). */
const VERSION_SERVICE_ROLES = ['canary', 'preview'] as const;

export interface OwnNames {
  app: string;
  /** target.service, when the target names one. */
  service?: string;
  /** target.deployment, when the target names one. */
  deployment?: string;
}

function whyReserved(object: KubernetesObject, own: OwnNames): string | undefined {
  const { kind, metadata: { name } } = object;
  if (kind === 'Secret' && name === recordName(own.app)) return "is named as Ferry's record of the revisions it applied in the namespace";
  if (kind === 'Deployment' && own.deployment && name === canaryTwinName(own.deployment)) {
    return `is named as the canary Ferry runs beside Deployment ${own.deployment} (target.deployment)`;
  }
  if (kind === 'Service' && own.service) {
    const role = VERSION_SERVICE_ROLES.find((r) => name === `${own.service}-${r}`);
    if (role) return `is named as the Service Ferry makes to reach the ${role} alone (target.service ${own.service})`;
  }
  return undefined;
}

export function checkOwnNames(objects: KubernetesObject[], own: OwnNames): void {
  for (const object of objects) {
    const why = whyReserved(object, own);
    if (why) throw new ManifestsProblem(`${object.kind} ${object.metadata.name} ${why}: Ferry would overwrite or delete it; rename it`);
  }
}
