// An object of the manifests named as one Ferry makes itself (own-names.ts) would be overwritten or
// deleted by Ferry (the record rewritten over it, the canary twin or version Service removed at
// promote), so the render refuses it.
import { canaryTwinName, recordName, VERSION_SERVICE_ROLES, versionServiceNameOf } from '../../own-names';
import type { KubernetesObject } from './objects';
import { ManifestsProblem } from './objects';

export interface OwnNames {
  app: string;
  /** target.service, when the target names one. */
  service?: string;
  /** target.deployment, when the target names one. */
  deployment?: string;
}

function whyReserved(object: KubernetesObject, own: OwnNames): string | undefined {
  const {
    kind,
    metadata: { name },
  } = object;
  if (kind === 'Secret' && name === recordName(own.app)) return "is named as Ferry's record of the revisions it applied in the namespace";
  if (kind === 'Deployment' && own.deployment && name === canaryTwinName(own.deployment)) {
    return `is named as the canary Ferry runs beside Deployment ${own.deployment} (target.deployment)`;
  }
  const service = own.service;
  if (kind === 'Service' && service) {
    const role = VERSION_SERVICE_ROLES.find((r) => name === versionServiceNameOf(service, r));
    if (role) return `is named as the Service Ferry makes to reach the ${role} alone (target.service ${service})`;
  }
  return undefined;
}

export function checkOwnNames(objects: KubernetesObject[], own: OwnNames): void {
  for (const object of objects) {
    const why = whyReserved(object, own);
    if (why) throw new ManifestsProblem(`${object.kind} ${object.metadata.name} ${why}: Ferry would overwrite or delete it; rename it`);
  }
}
