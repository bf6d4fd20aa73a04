/**
 * node:sqlite (DatabaseSync) and bun:sqlite adapted to the better-sqlite3 shape
 * the store is written against (types.ts): pluck(), pragma(), transaction() with
 * .immediate(), BLOBs as Buffer and a missing row as undefined.
 */
import type { SqliteDatabase, SqliteRunResult, SqliteStatement, SqliteTransaction, SqliteTransactionBody } from './types.js';

/** What both runtimes' own drivers provide. */
interface RawStatement {
  run(...params: unknown[]): SqliteRunResult | unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
export interface RawDatabase {
  prepare(sql: string): RawStatement;
  exec(sql: string): unknown;
  close(): unknown;
}

/** node:sqlite and bun:sqlite return BLOBs as plain Uint8Array; the store's rows promise Buffer. */
function toBuffer(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

function normalRow(row: unknown): unknown {
  if (row === null || row === undefined) return undefined; // bun:sqlite says null for "no row"
  if (typeof row !== 'object') return row;
  const r = row as Record<string, unknown>;
  for (const k in r) {
    const v = r[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = toBuffer(v);
  }
  return r;
}

function firstColumn(row: unknown): unknown {
  if (row === null || row === undefined) return undefined;
  for (const k in row as Record<string, unknown>) return toBuffer((row as Record<string, unknown>)[k]);
  return undefined;
}

class CompatStatement implements SqliteStatement {
  #raw: RawStatement;
  #pluck = false;
  constructor(raw: RawStatement) {
    this.#raw = raw;
  }
  run(...params: unknown[]): SqliteRunResult {
    const r = this.#raw.run(...params) as Partial<SqliteRunResult> | undefined;
    return { changes: r?.changes ?? 0, lastInsertRowid: r?.lastInsertRowid ?? 0 };
  }
  get(...params: unknown[]): unknown {
    const row = this.#raw.get(...params);
    return this.#pluck ? firstColumn(row) : normalRow(row);
  }
  all(...params: unknown[]): unknown[] {
    const rows = this.#raw.all(...params);
    for (let i = 0; i < rows.length; i++) rows[i] = this.#pluck ? firstColumn(rows[i]) : normalRow(rows[i]);
    return rows;
  }
  pluck(toggle = true): this {
    this.#pluck = toggle;
    return this;
  }
}

export class CompatDatabase implements SqliteDatabase {
  #raw: RawDatabase;
  #open = true;
  #depth = 0;
  constructor(raw: RawDatabase) {
    this.#raw = raw;
  }
  get open(): boolean {
    return this.#open;
  }
  prepare(sql: string): SqliteStatement {
    return new CompatStatement(this.#raw.prepare(sql));
  }
  exec(sql: string): this {
    this.#raw.exec(sql);
    return this;
  }
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const stmt = this.prepare(`PRAGMA ${source}`);
    return options.simple ? stmt.pluck().get() : stmt.all();
  }
  close(): this {
    if (this.#open) this.#raw.close();
    this.#open = false;
    return this;
  }

  /**
   * As better-sqlite3: COMMIT when `fn` returns, ROLLBACK when it throws; a
   * nested call runs in a SAVEPOINT. The rows and the ingest cursor of a batch
   * are written in one of these, which is what makes ingestion exactly once.
   */
  transaction<F extends SqliteTransactionBody>(fn: F): SqliteTransaction<F> {
    type Args = Parameters<SqliteTransaction<F>>;
    const run = (begin: string, args: Args): ReturnType<F> => {
      const nested = this.#depth > 0;
      const name = `stemedb_${this.#depth}`;
      this.#raw.exec(nested ? `SAVEPOINT ${name}` : begin);
      this.#depth++;
      try {
        const result = fn(...args) as ReturnType<F>;
        this.#raw.exec(nested ? `RELEASE ${name}` : 'COMMIT');
        return result;
      } catch (err) {
        try {
          this.#raw.exec(nested ? `ROLLBACK TO ${name}; RELEASE ${name}` : 'ROLLBACK');
        } catch {
          // SQLite already rolled the transaction back (some errors do): nothing left to undo.
        }
        throw err;
      } finally {
        this.#depth--;
      }
    };
    const txn = ((...args: Args) => run('BEGIN', args)) as SqliteTransaction<F>;
    txn.immediate = (...args: Args) => run('BEGIN IMMEDIATE', args);
    return txn;
  }
}
