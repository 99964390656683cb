// The names Ferry gives the objects it makes beside an environment's own: one rule each, used
// where the object is made and where manifests are checked for objects that would clash with it.

/** The Secret holding Ferry's record of the revisions it applied in a namespace (manifests/revisions.ts). */
export const recordName = (app: string) => `ferry-${app}-revisions`;

/** The canary's twin of a Deployment (canary.ts, manifests/canary.ts). */
export const canaryTwinName = (deployment: string) => `${deployment}-canary`;

/** The Services reaching one version alone (version-services.ts). */
export const VERSION_SERVICE_ROLES = ['canary', 'preview'] as const;
export type VersionServiceRole = (typeof VERSION_SERVICE_ROLES)[number];
export const versionServiceNameOf = (service: string, role: VersionServiceRole) => `${service}-${role}`;
