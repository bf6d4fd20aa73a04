/**
 * The node-postgres shapes that PgStore's public API shows, written out here so
 * that the package's shipped types need neither pg nor @types/pg (both are
 * optional: a SQLite-only user installs neither). Structurally, pg's Pool is a
 * PgPool and pg's PoolConfig is a PgPoolConfig; cast to them for pg's full types.
 */

/** A query's result: the rows and, for INSERT/UPDATE/DELETE, how many it touched. */
export interface PgQueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}

/** The pool PgStore runs on (pg's Pool), for ad-hoc SQL. */
export interface PgPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgQueryResult<R>>;
  readonly totalCount: number;
  readonly idleCount: number;
}

/** Connection settings as pg's PoolConfig takes them (host, port, user, password, database, ssl, ...). */
export interface PgPoolConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  password?: string | (() => string | Promise<string>);
  [option: string]: unknown;
}
