/**
 * What the ingest benches share: the assertion row the direct methods insert, timing with a
 * final checkpoint, a fingerprint of the assertions table, and the bench's size knobs.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Store } from '../src/ingest/index.js';

/** One assertions row, in INSERT column order. */
export type Row = [Uint8Array, string, string, string | number, number, Uint8Array, string, number, number, string | null, number];

export const COLUMNS = '(hash, subject, predicate, object, object_kind, epoch, author, confidence, created_at, evidence, offset)';
export const INSERT = `INSERT OR IGNORE INTO assertions ${COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Assertions in the journal: STEMEDB_INGEST_N when set (development: e.g. 200000), else
 * 1 000 000 (30 000 with --quick). The report's figures are at the default.
 */
export function benchSize(quick: boolean): number {
  const env = process.env.STEMEDB_INGEST_N;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isSafeInteger(n) || n < 1000) throw new Error(`STEMEDB_INGEST_N must be an integer >= 1000, got ${env}`);
    return n;
  }
  return quick ? 30_000 : 1_000_000;
}

/**
 * The Ingestor's batchSize (and so the direct methods' transaction size) in the main part:
 * STEMEDB_INGEST_BATCH when set (to compare batch sizes in one command), else the default.
 */
export function benchBatch(fallback: number): number {
  return positiveIntEnv('STEMEDB_INGEST_BATCH', fallback);
}

/**
 * Which parts of the ingest bench run: STEMEDB_INGEST_ONLY, a comma-separated subset of
 * main (the Ingestor and the direct inserts in its transaction size), small (the 1000-row
 * direct inserts: slow), variants (SQLite settings), follow (latency), pg (default: all).
 */
export function benchParts(): Set<string> {
  const all = ['main', 'small', 'variants', 'follow', 'pg'];
  const env = process.env.STEMEDB_INGEST_ONLY;
  if (!env) return new Set(all);
  const parts = env.split(',').map((s) => s.trim());
  for (const p of parts) if (!all.includes(p)) throw new Error(`STEMEDB_INGEST_ONLY: unknown part '${p}' (one of ${all.join(', ')})`);
  return new Set(parts);
}

/** Repetitions: STEMEDB_INGEST_REPS when set, else `fallback`. */
export function benchReps(fallback: number): number {
  return positiveIntEnv('STEMEDB_INGEST_REPS', fallback);
}

/** The positive integer in environment variable `name` when set, else `fallback`. */
function positiveIntEnv(name: string, fallback: number): number {
  const env = process.env[name];
  if (env === undefined || env === '') return fallback;
  const v = Number(env);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${env}`);
  return v;
}

export interface Measured {
  seconds: number;
  cpuSeconds: number;
  dbBytes: number;
  /** A cheap fingerprint of the assertions table, to check every method wrote the same rows. */
  check: string;
}

/** The Store's connection as the better-sqlite3 Database it is here (the direct methods are measured on better-sqlite3). */
export function rawDb(store: Store): Database.Database {
  if (store.driver !== 'better-sqlite3') throw new Error(`the ingest bench needs better-sqlite3, the store runs on ${store.driver}`);
  return store.db as unknown as Database.Database;
}

/**
 * Times fn plus a final TRUNCATE checkpoint: wall seconds, and CPU seconds of the whole process
 * (user + system, all threads: a worker's time counts).
 */
export async function measure(db: () => Database.Database, fn: () => Promise<void> | void): Promise<Omit<Measured, 'check' | 'dbBytes'>> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  db().pragma('wal_checkpoint(TRUNCATE)');
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpuSeconds: (c.user + c.system) / 1e6 };
}

export function fingerprint(db: Database.Database): string {
  const r = db
    .prepare(
      `SELECT count(*) AS n, sum(offset) AS o, sum(created_at) AS t, total(confidence) AS c, sum(length(subject)) AS s,
    sum(object_kind) AS k, sum(evidence IS NOT NULL) AS e FROM assertions`,
    )
    .get() as Record<string, number>;
  return JSON.stringify(r);
}

export function fileBytes(path: string): number {
  let n = 0;
  for (const suffix of ['', '-wal']) {
    try {
      n += statSync(path + suffix).size;
    } catch {
      // no WAL after a TRUNCATE checkpoint
    }
  }
  return n;
}

/** Inserts rows with one prepared statement in transactions of `txn` rows. */
export function insertDirect(db: Database.Database, rows: readonly Row[], txn: number): void {
  const ins = db.prepare(INSERT);
  const run = db.transaction((lo: number, hi: number) => {
    for (let i = lo; i < hi; i++) ins.run(rows[i]!);
  });
  for (let i = 0; i < rows.length; i += txn) run(i, Math.min(rows.length, i + txn));
}
