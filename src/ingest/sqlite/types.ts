/**
 * The part of a SQLite connection the store uses, in better-sqlite3's shape
 * (better-sqlite3's Database satisfies it as is; node:sqlite and bun:sqlite are
 * adapted to it). Declared here so the package's types never name a driver's
 * own types: a consumer without @types/better-sqlite3 still typechecks.
 */

/** Which SQLite binding a Store runs on. */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite' | 'bun:sqlite';

export interface SqliteRunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  /** The first row (an object, or its first column after pluck()), or undefined. BLOBs come back as Buffer. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows become their first column's value. */
  pluck(toggle?: boolean): this;
}

/** Any function a transaction can wrap (`any[]`: as better-sqlite3 declares it, so its Database fits). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqliteTransactionBody = (...args: any[]) => unknown;
type ArgumentsOf<F> = F extends (...args: infer A) => unknown ? A : never;

/** A function that runs inside BEGIN ... COMMIT (ROLLBACK when it throws). */
export interface SqliteTransaction<F extends SqliteTransactionBody> {
  (...args: ArgumentsOf<F>): ReturnType<F>;
  /** The same, with BEGIN IMMEDIATE (takes the write lock up front). */
  immediate(...args: ArgumentsOf<F>): ReturnType<F>;
}

export interface SqliteDatabase {
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
  /** Runs one or more statements, no results. */
  exec(sql: string): this;
  /** `PRAGMA <source>`: all rows, or with { simple: true } the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends SqliteTransactionBody>(fn: F): SqliteTransaction<F>;
  close(): this;
}
