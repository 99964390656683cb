// What an environment hands its app: plain variables from the config (fine in workflow history)
// and secrets as the names of the worker variables holding them (read on the worker, never in
// history), the environment's database URL among them.

export interface AppEnvironment {
  variables: Record<string, string>;
  /** The app's variable name → the worker variable that holds its value. */
  secrets: Record<string, string>;
}

/** Set by the target itself for every version: a config may not set them. */
export const RESERVED_APP_VARIABLES = ['PORT', 'VERSION', 'COMMIT', 'ENVIRONMENT'] as const;

interface EnvironmentShape {
  variables?: Record<string, string>;
  secrets?: Record<string, string>;
  database?: { urlEnv: string; appEnv?: string };
}

/** Plans made before environments had variables have none: their apps get the database URL only. */
export function appEnvironmentOf(env: EnvironmentShape): AppEnvironment {
  const database = env.database ? { [env.database.appEnv ?? 'DATABASE_URL']: env.database.urlEnv } : {};
  return { variables: { ...env.variables }, secrets: { ...database, ...env.secrets } };
}
