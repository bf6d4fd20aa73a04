/**
 * SQLite variants of the ingest bench (issue 17 item 3; run from benches/ingest.ts): the same
 * decoded rows inserted directly with better-sqlite3 into the store's schema, in transactions of
 * the Ingestor's size, changing one thing at a time against the Store's own settings. Each row of
 * the table is one variant; "÷ baseline" is the median of the per-repetition ratios to the
 * baseline measured in the same repetition. Only what pays and is safe goes into the Store.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { Store, type StoreOptions } from '../src/ingest/index.js';
import { type BenchResult, type Cell, Samples, log, makeTempDir, removeTempDir, sig } from './lib/index.js';
import { COLUMNS, INSERT, type Row, fingerprint, insertDirect, measure, rawDb } from './ingest-common.js';

interface Variant {
  name: string;
  /** Store.open options for the file. */
  store?: StoreOptions;
  /** Run on the connection after Store.open, before the timed part. */
  setup?: (db: Database.Database) => void;
  /** The timed inserts (default: insertDirect). */
  insert?: (db: Database.Database, rows: readonly Row[], txn: number) => void;
  /** Rows as the variant gets them, prepared before the clock starts (default: as decoded). */
  rows?: (rows: readonly Row[], txn: number) => readonly Row[];
  /** Not a candidate for the Store (unsafe, or drops what queries need): shown for scale. */
  info?: string;
  /** Started after setup, stopped (awaited) after the timed part. */
  background?: (path: string) => () => Promise<void>;
}

const compareHash = (a: Row, b: Row): number => Buffer.compare(a[0], b[0]);
const compareSubject = (a: Row, b: Row): number => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[8] - b[8]);

/** Each transaction's rows sorted first (the sort is timed): SQLite then walks the B-tree in key order. */
function insertSorted(compare: (a: Row, b: Row) => number) {
  return (db: Database.Database, rows: readonly Row[], txn: number): void => {
    const ins = db.prepare(INSERT);
    const run = db.transaction((part: Row[]) => {
      for (let i = 0; i < part.length; i++) ins.run(part[i]!);
    });
    for (let i = 0; i < rows.length; i += txn) run(rows.slice(i, i + txn).sort(compare));
  };
}

/** A sortable number from the first 6 bytes of the hash (exact in a double); ties fall back to the whole hash. */
function hashPrefix(h: Uint8Array): number {
  return ((h[0]! << 16) | (h[1]! << 8) | h[2]!) * 16777216 + ((h[3]! << 16) | (h[4]! << 8) | h[5]!);
}

/** Sorted by hash as insertSorted, but comparing precomputed 48-bit prefixes (a cheaper sort, same order). */
function insertSortedByPrefix(db: Database.Database, rows: readonly Row[], txn: number): void {
  const ins = db.prepare(INSERT);
  const run = db.transaction((lo: number, hi: number) => {
    const keys = new Float64Array(hi - lo);
    const idx: number[] = [];
    for (let i = lo; i < hi; i++) ((keys[i - lo] = hashPrefix(rows[i]![0])), idx.push(i - lo));
    idx.sort((a, b) => keys[a]! - keys[b]! || Buffer.compare(rows[lo + a]![0], rows[lo + b]![0]));
    for (let k = 0; k < idx.length; k++) ins.run(rows[lo + idx[k]!]!);
  });
  for (let i = 0; i < rows.length; i += txn) run(i, Math.min(rows.length, i + txn));
}

/** Each transaction's rows were sorted by hash before the clock started: what SQLite alone does with sorted rows. */
function presorted(rows: readonly Row[], txn: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i += txn) for (const r of rows.slice(i, i + txn).sort(compareHash)) out.push(r); // no spread: a txn has more rows than the stack has room for arguments
  return out;
}

/** `per` rows per INSERT statement (one prepared statement of per x 11 parameters, bound from one reused array). */
export function insertMultiRow(per: number) {
  return (db: Database.Database, rows: readonly Row[], txn: number): void => {
    const one = db.prepare(INSERT);
    const many = db.prepare(`INSERT OR IGNORE INTO assertions ${COLUMNS} VALUES ${Array(per).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
    const args: unknown[] = new Array(per * 11);
    const run = db.transaction((lo: number, hi: number) => {
      let i = lo;
      for (; i + per <= hi; i += per) {
        for (let k = 0; k < per; k++) {
          const r = rows[i + k]!;
          for (let c = 0; c < 11; c++) args[k * 11 + c] = r[c];
        }
        many.run(args);
      }
      for (; i < hi; i++) one.run(rows[i]!);
    });
    for (let i = 0; i < rows.length; i += txn) run(i, Math.min(rows.length, i + txn));
  };
}

/** A plain INSERT behind a primary-key lookup, instead of INSERT OR IGNORE. */
function insertPrecheck(db: Database.Database, rows: readonly Row[], txn: number): void {
  const has = db.prepare('SELECT 1 FROM assertions WHERE hash = ?').pluck();
  const ins = db.prepare(INSERT.replace('INSERT OR IGNORE', 'INSERT'));
  const run = db.transaction((lo: number, hi: number) => {
    for (let i = lo; i < hi; i++) if (has.get(rows[i]![0]) === undefined) ins.run(rows[i]!);
  });
  for (let i = 0; i < rows.length; i += txn) run(i, Math.min(rows.length, i + txn));
}

/**
 * The assertions table as a rowid table: rows are appended in insertion order, and only a narrow
 * UNIQUE index on hash (and the secondary indexes) take random keys, instead of whole rows in a
 * B-tree ordered by hash. The secondary indexes name hash explicitly, so their order and the
 * queries' keyset pagination (created_at, hash) stay as they are.
 */
function rowidLayout(db: Database.Database): void {
  db.exec(`
    DROP TABLE assertions;
    CREATE TABLE assertions (
      id INTEGER PRIMARY KEY, hash BLOB NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL, object,
      object_kind INTEGER NOT NULL, epoch BLOB NOT NULL, author TEXT NOT NULL, confidence REAL NOT NULL,
      created_at INTEGER NOT NULL, evidence TEXT, offset INTEGER NOT NULL);
    CREATE UNIQUE INDEX assertions_by_hash ON assertions (hash);
    CREATE INDEX assertions_by_subject ON assertions (subject, created_at, hash);
    CREATE INDEX assertions_by_epoch ON assertions (epoch, created_at, hash);`);
}

/** `insert` with transactions `factor` times the Ingestor's. */
function largerTxn(factor: number, insert: NonNullable<Variant['insert']> = insertDirect): NonNullable<Variant['insert']> {
  return (db, rows, txn) => insert(db, rows, txn * factor);
}

const MiB = 1024;
export const VARIANTS: Variant[] = [
  { name: 'baseline: Store settings, INSERT OR IGNORE, 1 row per statement' },
  { name: 'sorted by hash (primary key) in each txn', insert: insertSorted(compareHash) },
  { name: 'sorted by hash, by 48-bit prefix keys (cheaper sort)', insert: insertSortedByPrefix },
  { name: 'pre-sorted by hash', rows: presorted, info: 'sorted before the clock starts: SQLite alone' },
  { name: 'pre-sorted by hash, multi-row INSERT of 16', rows: presorted, insert: insertMultiRow(16), info: 'sorted before the clock starts' },
  { name: 'sorted by subject (the subject index) in each txn', insert: insertSorted(compareSubject) },
  { name: 'page_size 4096', store: { pageSize: 4096 } },
  { name: 'page_size 65536', store: { pageSize: 65536 } },
  { name: 'cache_size 64 MiB', store: { cacheSizeKiB: 64 * MiB } },
  { name: 'cache_size 1 GiB', store: { cacheSizeKiB: 1024 * MiB } },
  { name: 'mmap_size 1 GiB', setup: (db) => db.pragma('mmap_size = 1073741824') },
  { name: 'temp_store MEMORY', setup: (db) => db.pragma('temp_store = MEMORY') },
  { name: 'multi-row INSERT, 16 rows per statement', insert: insertMultiRow(16) },
  { name: 'multi-row INSERT, 64 rows per statement', insert: insertMultiRow(64) },
  { name: 'plain INSERT behind a SELECT pre-check', insert: insertPrecheck },
  { name: 'wal_autocheckpoint 1000 pages (SQLite default)', store: { walAutocheckpointPages: 1000 } },
  { name: 'wal_autocheckpoint off (one checkpoint at the end)', store: { walAutocheckpointPages: 0 }, info: 'the WAL grows without bound' },
  { name: 'without assertions_by_subject', setup: (db) => db.exec('DROP INDEX assertions_by_subject'), info: 'queries need it' },
  { name: 'without assertions_by_epoch', setup: (db) => db.exec('DROP INDEX assertions_by_epoch'), info: 'queries need it' },
  {
    name: 'without both secondary indexes',
    setup: (db) => db.exec('DROP INDEX assertions_by_subject; DROP INDEX assertions_by_epoch'),
    info: 'queries need them',
  },
  { name: 'synchronous OFF', setup: (db) => db.pragma('synchronous = OFF'), info: 'not crash-safe' },
  { name: 'transactions of 2x the rows', insert: largerTxn(2) },
  { name: 'assertions as a rowid table + UNIQUE(hash) index', setup: rowidLayout },
  { name: 'rowid table, transactions of 2x the rows', setup: rowidLayout, insert: largerTxn(2) },
  { name: 'rowid table, multi-row INSERT of 16', setup: rowidLayout, insert: insertMultiRow(16) },
  { name: 'checkpoints by a worker thread every 50 ms', store: { walAutocheckpointPages: 0 }, background: checkpointer(50) },
  {
    name: 'checkpoints by a worker thread every 50 ms, multi-row INSERT of 16',
    store: { walAutocheckpointPages: 0 },
    background: checkpointer(50),
    insert: insertMultiRow(16),
  },
];

/** Checkpoints by a second connection on a worker thread (benches/lib/checkpoint-worker.mjs), never by the writer: does the writer stall less? */
function checkpointer(everyMs: number): NonNullable<Variant['background']> {
  return (path) => {
    const w = new Worker(new URL('./lib/checkpoint-worker.mjs', import.meta.url), { workerData: { path, everyMs } });
    return () =>
      new Promise<void>((resolve) => {
        w.once('message', (m) => {
          log(`    checkpoint worker: ${JSON.stringify(m)}`);
          resolve();
        });
        w.postMessage('stop');
      });
  };
}

/** The variants to run: STEMEDB_INGEST_VARIANTS (comma-separated substrings of their names) picks some while developing; the baseline always runs. */
function selectedVariants(): Variant[] {
  const env = process.env.STEMEDB_INGEST_VARIANTS;
  if (!env) return VARIANTS;
  const want = env
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return VARIANTS.filter((v, i) => i === 0 || want.some((w) => v.name.includes(w)));
}

/** Runs every variant `reps` times (interleaved), each into a fresh file; adds the table to `res`. */
export async function runSqliteVariants(res: BenchResult, rows: readonly Row[], txn: number, reps: number): Promise<void> {
  const n = rows.length;
  const wall = new Samples();
  const cpu = new Samples();
  let reference: string | null = null;
  const variants = selectedVariants();
  for (let rep = 0; rep < reps; rep++) {
    for (const v of variants) {
      const dir = makeTempDir('ingest-var');
      try {
        const store = Store.open(join(dir, 'db.sqlite'), v.store);
        const db = rawDb(store);
        v.setup?.(db);
        const insert = v.insert ?? insertDirect;
        const input = v.rows ? v.rows(rows, txn) : rows;
        const stopBackground = v.background?.(join(dir, 'db.sqlite'));
        const m = await measure(
          () => db,
          async () => {
            insert(db, input, txn);
            await stopBackground?.();
          },
        );
        const check = fingerprint(db);
        store.close();
        if (reference === null) reference = check;
        else if (check !== reference) throw new Error(`variant '${v.name}' wrote different rows: ${check} vs ${reference}`);
        wall.add(v.name, n / m.seconds);
        cpu.add(v.name, n / m.cpuSeconds);
        log(`  ${rep + 1}/${reps} ${v.name.padEnd(62)} ${sig(n / m.seconds / 1000, 3)} k rows/s  (cpu ${sig(n / m.cpuSeconds / 1000, 3)} k/s)`);
      } finally {
        removeTempDir(dir);
      }
    }
  }
  const base = VARIANTS[0]!.name;
  const out: Cell[][] = variants.map((v) => [
    v.info ? `${v.name} (info: ${v.info})` : v.name,
    sig(wall.median(v.name), 3),
    sig(cpu.median(v.name), 3),
    sig(wall.pairedRatio(v.name, base), 3),
  ]);
  res.tables.push({
    title: `SQLite variants: ${n.toLocaleString('en-US')} decoded assertions inserted directly, ${txn}-row transactions`,
    columns: ['variant', 'rows/s (median)', 'rows per CPU-s', '÷ baseline'],
    rows: out,
    notes: [
      `Median of ${reps} run(s) per variant, interleaved, each into a fresh file opened with Store.open (its settings unless the variant changes one); each time ends with PRAGMA wal_checkpoint(TRUNCATE).`,
      'Sorting is inside the timed part. "(info)" rows are not candidates (unsafe, or they drop an index the queries need): they show what a setting or index costs.',
      'Every variant wrote the same rows (count and column sums of the assertions table).',
    ],
  });
}
