/**
 * Ingest bench: N assertions from a journal into SQLite, end to end, against
 * better-sqlite3 inserting the same rows directly.
 *
 * Data: N assertion payloads (deterministic: N/20 subjects, 4 predicates,
 * string / number / boolean objects, 4 epochs, 100 authors, evidence on 10%),
 * appended to a journal once (not timed). N = 1 000 000 (--quick: 30 000; STEMEDB_INGEST_N sets it
 * for development, STEMEDB_INGEST_REPS the repetitions, STEMEDB_INGEST_BATCH the Ingestor's batch
 * size, STEMEDB_INGEST_ONLY the parts: see
 * benches/ingest-common.ts).
 *
 * Methods, each in a fresh database file, interleaved over REPS repetitions:
 *   stemedb Ingestor      Journal.openReader -> Ingestor.catchUp() into Store.open(file) with
 *                         default options: reads and verifies every frame (CRC32C + BLAKE3),
 *                         decodes the payload, inserts, and commits the cursor with each batch.
 *                         Beside it (info) the same with readThread: true, where a worker thread
 *                         reads, verifies and scans while this thread inserts (run from the
 *                         TypeScript sources, its worker first compiles them: ~0.25 s here).
 *   direct, hand-written  what a user writes by hand: better-sqlite3, the same schema (the
 *                         store's MIGRATIONS: same tables and indexes), journal_mode=WAL,
 *                         synchronous=NORMAL, every other pragma at its default, one prepared
 *                         INSERT per table, 1000-row transactions. Rows are decoded beforehand
 *                         (not timed): this is SQLite alone.
 *   direct, Store pragmas the same, but in a file opened by Store.open (so with the store's page
 *                         size, cache, WAL checkpoint settings): the inserts alone, same file setup.
 *   direct, Store pragmas, ingestor-sized transactions (one row per INSERT, and 16): the SQLite
 *                         floor for the ingestor's own settings (the target's comparison, unsorted;
 *                         the faster is the row marked "(floor)", and every row prints its paired
 *                         ratio to it); the gap to the Ingestor is its reading, verifying, decoding
 *                         and cursor bookkeeping.
 * Every timing ends with PRAGMA wal_checkpoint(TRUNCATE): "in the database file", for all methods
 * alike (they checkpoint at different points otherwise).
 *
 * Then one row per SQLite variant (benches/ingest-sqlite.ts), follow-mode latency with a writer and
 * a reader process (benches/ingest-follow.ts), and the same journal into PostgreSQL
 * (benches/ingest-pg.ts).
 *
 * Run: `npx tsx benches/ingest.ts [--quick]`; e.g. `STEMEDB_INGEST_N=200000 STEMEDB_INGEST_ONLY=main
 * npx tsx benches/ingest.ts` while developing.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal } from '../src/index.js';
import {
  DEFAULT_BATCH_SIZE,
  Ingestor,
  ObjectKind,
  Store,
  decodeRecord,
  encodeAssertion,
  migrate,
  type Assertion,
  type IngestorOptions,
} from '../src/ingest/index.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  type Table,
  Samples,
  addGroup,
  finishResult,
  isMain,
  log,
  main,
  makeTempDir,
  pairedVerdictText,
  removeTempDir,
  sig,
  startResult,
  target,
} from './lib/index.js';
import { runPg } from './ingest-pg.js';
import {
  type Measured,
  type Row,
  benchBatch,
  benchParts,
  benchReps,
  benchSize,
  fileBytes,
  fingerprint,
  insertDirect,
  measure,
  rawDb,
} from './ingest-common.js';
import { insertMultiRow, runSqliteVariants } from './ingest-sqlite.js';
import { runFollow } from './ingest-follow.js';
import { ingestInChild } from './ingest-own-process.js';

export type { Row } from './ingest-common.js';

const DIRECT_TXN = 1000;
const T0 = 1_732_400_000_000;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EPOCHS = [0, 1, 2, 3].map((k) => Uint8Array.from({ length: 16 }, (_, i) => 16 * k + i + 1));
const PREDICATES = ['knows', 'bornIn', 'worksAt', 'label'];

function makeAssertion(rand: () => number, i: number, subjects: number): Assertion {
  const kind = i % 4;
  const a: Assertion = {
    subject: `entity:${Math.floor(rand() * subjects)}`,
    predicate: PREDICATES[i & 3]!,
    object: kind === 0 ? i : kind === 1 ? rand() < 0.5 : `value ${i}`,
    epoch: EPOCHS[i & 3]!,
    author: `did:key:author${Math.floor(rand() * 100)}`,
    confidence: Math.floor(rand() * 1001) / 1000,
    createdAt: T0 + i * 10 + Math.floor(rand() * 1000),
  };
  if (i % 10 === 0) a.evidence = [`https://example.org/source/${i}`];
  return a;
}

/** Appends N assertions (numbers first.., 1000 per appendBatch) and syncs; returns the journal's size in bytes. */
export async function buildJournal(dir: string, n: number, first = 0): Promise<number> {
  const j = await Journal.open(dir, { durability: 'none', syncIntervalMs: 0 });
  const rand = prng(42);
  const subjects = Math.max(1, Math.floor(n / 20));
  for (let i = first; i < first + n; i += 1000) {
    const batch: Uint8Array[] = [];
    for (let k = i; k < Math.min(first + n, i + 1000); k++) batch.push(encodeAssertion(makeAssertion(rand, k, subjects)));
    await j.appendBatch(batch);
  }
  await j.sync();
  const bytes = j.nextOffset - j.firstOffset;
  await j.close();
  return bytes;
}

/** The rows the ingestor writes, decoded from the journal up front (the direct methods' input). */
async function decodeRows(dir: string): Promise<Row[]> {
  const reader = await Journal.openReader(dir);
  const rows: Row[] = [];
  try {
    for await (const rec of reader.iterate()) {
      const d = decodeRecord(rec.payload);
      if (d.type !== 0) throw new Error('the bench journal holds assertions only');
      const a = d.record;
      const o = a.object;
      let value: string | number;
      let kind: number;
      if (typeof o === 'string') ((value = o), (kind = ObjectKind.String));
      else if (typeof o === 'number') ((value = o), (kind = ObjectKind.Number));
      else if (typeof o === 'boolean') ((value = o ? 1 : 0), (kind = ObjectKind.Boolean));
      else throw new Error('no bytes objects in the bench data');
      rows.push([
        rec.hash,
        a.subject,
        a.predicate,
        value,
        kind,
        a.epoch,
        a.author,
        a.confidence,
        a.createdAt,
        a.evidence ? JSON.stringify(a.evidence) : null,
        rec.offset,
      ]);
    }
  } finally {
    reader.close();
  }
  return rows;
}

interface Method {
  name: string;
  /** Rows per transaction (for the table). */
  txn: number | string;
  /**
   * ours: the Ingestor (the targets' figure); thread: the Ingestor with readThread (a worker reads,
   * verifies and scans); own: the Ingestor in a child process, without the direct methods' rows on
   * its heap; direct: the same rows straight into SQLite, the Ingestor's transaction size; small:
   * 1000-row transactions.
   */
  kind: 'ours' | 'thread' | 'own' | 'direct' | 'small';
  run(dbPath: string): Promise<Measured>;
}

/** A direct method into a file opened by Store.open (the store's pragmas): `insert` runs on its connection. */
function storeMethod(name: string, txn: number, kind: Method['kind'], insert: (db: Database.Database) => void): Method {
  return {
    name,
    txn,
    kind,
    run: async (path) => {
      const store = Store.open(path);
      const m = await measure(
        () => rawDb(store),
        () => insert(rawDb(store)),
      );
      const out = { ...m, dbBytes: fileBytes(path), check: fingerprint(rawDb(store)) };
      store.close();
      return out;
    },
  };
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('ingest', opts);
  const n = benchSize(opts.quick);
  const parts = benchParts();
  const REPS = benchReps(3);
  const work = makeTempDir('ingest');
  try {
    const walDir = join(work, 'wal');
    log(`building a journal of ${n.toLocaleString('en-US')} assertions...`);
    const journalBytes = await buildJournal(walDir, n);
    const rows = await decodeRows(walDir);
    if (rows.length !== n) throw new Error(`decoded ${rows.length} rows, expected ${n}`);

    // The Store's settings, as it ships them (for the notes).
    const probe = Store.open(join(work, 'probe.db'));
    const pragmas = {
      pageSize: probe.db.pragma('page_size', { simple: true }) as number,
      cacheKiB: -(probe.db.pragma('cache_size', { simple: true }) as number),
      autocheckpoint: probe.db.pragma('wal_autocheckpoint', { simple: true }) as number,
      synchronous: probe.db.pragma('synchronous', { simple: true }) as number,
    };
    probe.close();
    const ingestBatch = benchBatch(DEFAULT_BATCH_SIZE);

    /** Journal.openReader -> Ingestor.catchUp() into a Store in this process. */
    const ingestorMethod = (name: string, kind: Method['kind'], options: IngestorOptions): Method => ({
      name,
      txn: ingestBatch,
      kind,
      run: async (path) => {
        const store = Store.open(path);
        const reader = await Journal.openReader(walDir);
        const ing = new Ingestor(reader, store, { ...options, batchSize: ingestBatch });
        let assertions = 0;
        const m = await measure(
          () => rawDb(store),
          async () => {
            assertions = (await ing.catchUp()).assertions;
          },
        );
        reader.close();
        if (assertions !== n) throw new Error(`ingested ${assertions} assertions, expected ${n}`);
        const out = { ...m, dbBytes: fileBytes(path), check: fingerprint(rawDb(store)) };
        store.close();
        return out;
      },
    });
    const methods: Method[] = [
      ingestorMethod('stemedb Ingestor (journal -> SQLite)', 'ours', {}),
      // Issue 17 item 1: reading, verifying and scanning on a worker thread (opt-in: it did not pay here, docs/ingest.md).
      ingestorMethod('stemedb Ingestor, readThread: true (info)', 'thread', { readThread: true }),
      {
        name: 'stemedb Ingestor, in a process of its own (info)',
        txn: ingestBatch,
        kind: 'own',
        run: async (path) => {
          const t = await ingestInChild(walDir, path, ingestBatch);
          if (t.assertions !== n) throw new Error(`ingested ${t.assertions} assertions, expected ${n}`);
          const db = new Database(path, { readonly: true });
          const out = { seconds: t.seconds, cpuSeconds: t.cpuSeconds, dbBytes: fileBytes(path), check: fingerprint(db) };
          db.close();
          return out;
        },
      },
      {
        name: 'direct, hand-written (WAL, NORMAL, default pragmas)',
        txn: DIRECT_TXN,
        kind: 'small',
        run: async (path) => {
          const db = new Database(path);
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          migrate(db);
          const m = await measure(
            () => db,
            () => insertDirect(db, rows, DIRECT_TXN),
          );
          const out = { ...m, dbBytes: fileBytes(path), check: fingerprint(db) };
          db.close();
          return out;
        },
      },
      storeMethod('direct, Store pragmas', DIRECT_TXN, 'small', (db) => insertDirect(db, rows, DIRECT_TXN)),
      storeMethod('direct, Store pragmas, ingestor-sized txns', ingestBatch, 'direct', (db) => insertDirect(db, rows, ingestBatch)),
      storeMethod('direct, Store pragmas, ingestor-sized txns, 16 rows per INSERT', ingestBatch, 'direct', (db) => insertMultiRow(16)(db, rows, ingestBatch)),
    ];

    async function runMain(res: BenchResult, methods: Method[]): Promise<void> {
      const wall = new Samples();
      const cpu = new Samples();
      const size = new Map<string, number>();
      let reference: string | null = null;
      for (let rep = 0; rep < REPS; rep++) {
        for (const m of methods) {
          const dir = makeTempDir('ingest-db');
          try {
            const r = await m.run(join(dir, 'db.sqlite'));
            if (reference === null) reference = r.check;
            else if (r.check !== reference) throw new Error(`${m.name} wrote different rows: ${r.check} vs ${reference}`);
            wall.add(m.name, n / r.seconds);
            cpu.add(m.name, n / r.cpuSeconds);
            size.set(m.name, r.dbBytes);
            log(
              `  ${rep + 1}/${REPS} ${m.name.padEnd(52)} ${sig(r.seconds, 3)} s  ${sig(n / r.seconds / 1000, 3)} k rows/s  (cpu ${sig(n / r.cpuSeconds / 1000, 3)} k/s)`,
            );
          } finally {
            removeTempDir(dir);
          }
        }
      }

      const ours = methods[0]!.name;
      const directs = methods.filter((m) => m.kind === 'direct');
      const bestDirect = directs.reduce((a, b) => (wall.median(b.name) > wall.median(a.name) ? b : a));
      // The floor: SQLite alone doing the Ingestor's inserts (same rows, store settings and transaction size) the fastest way measured.
      const floor = bestDirect;
      const label = (m: Method) => (m === floor ? `${m.name} (floor)` : m.name);
      const rowsOut: Cell[][] = methods.map((m) => [
        label(m),
        m.txn,
        sig(wall.median(m.name), 3),
        sig(Math.min(...wall.all(m.name)), 3),
        sig(Math.max(...wall.all(m.name)), 3),
        sig(cpu.median(m.name), 3),
        sig(wall.pairedRatio(ours, m.name), 3),
        sig(wall.pairedRatio(m.name, floor.name), 3),
        sig(size.get(m.name)! / 1e6, 3),
      ]);
      const table: Table = {
        title: `${n.toLocaleString('en-US')} assertions into SQLite (file, WAL)`,
        columns: ['method', 'rows/txn', 'rows/s (median)', 'min', 'max', 'rows per CPU-s', 'Ingestor ÷ this', 'rate ÷ SQLite floor', 'db MB'],
        rows: rowsOut,
        notes: [
          `Median of ${REPS} runs per method, interleaved, each into a fresh file under ${res.machine.tmpDir}; each time ends with PRAGMA wal_checkpoint(TRUNCATE).`,
          `Journal: ${sig(journalBytes / 1e6, 3)} MB of frames, read with Journal.openReader and verified frame by frame (CRC32C + BLAKE3) inside the Ingestor's time. The direct methods get the rows already decoded.`,
          `Store pragmas: page_size ${pragmas.pageSize}, cache_size ${pragmas.cacheKiB} KiB, wal_autocheckpoint ${pragmas.autocheckpoint} pages, synchronous ${pragmas.synchronous === 1 ? 'NORMAL' : pragmas.synchronous}; the hand-written direct path uses SQLite's defaults (page_size 4096, cache_size 2000 KiB, wal_autocheckpoint 1000).`,
          '"Ingestor ÷ this": median over repetitions of the ratio of the two rates measured in the same repetition.',
          `"rate ÷ SQLite floor": the same, each method ÷ "${floor.name}" (the faster by median of the direct inserts with the Ingestor's transaction size): the Ingestor's own inserts (same rows, same store settings, same transaction size) with nothing else, the floor of its work here.`,
          '"rows per CPU-s": rows over the process CPU time (user + system) of the timed part; less sensitive to other load than wall time on a shared machine.',
          'All methods wrote the same rows (checked: count and column sums of the assertions table).',
        ],
      };
      res.tables.push(table);
      addGroup(res, table, {
        title: `Ingestor, ${n.toLocaleString('en-US')} assertions journal -> SQLite`,
        unit: 'rows/s',
        name: 'method',
        value: 'rows/s (median)',
        toFloor: 'rate ÷ SQLite floor',
        ours: { method: ours },
        // What a user writes by hand: 1000-row transactions (run with the 'small' part).
        peers: methods.filter((m) => m.kind === 'small').map((m) => ({ method: m.name })),
        floor: { method: label(floor) },
        noPeer: "the hand-written direct inserts (1000-row transactions) were not run: STEMEDB_INGEST_ONLY without 'small'",
      });

      const rate = wall.median(ours);
      target(
        res,
        `Ingestor, ${n.toLocaleString('en-US')} assertions journal -> SQLite`,
        '>= 150 k assertions/s',
        rate,
        '>=',
        150_000,
        `${sig(rate / 1000, 3)} k/s (median; ${sig(cpu.median(ours) / 1000, 3)} k per CPU-second)`,
      );
      const ratio = wall.pairedRatio(ours, bestDirect.name);
      target(
        res,
        'Ingestor vs direct better-sqlite3 inserts (same transaction size, unsorted)',
        '>= 1.0x the best direct rate',
        ratio,
        '>=',
        1.0,
        `Ingestor vs ${bestDirect.name}: ${pairedVerdictText({ a: rate / 1000, b: wall.median(bestDirect.name) / 1000, paired: ratio, unit: 'k/s', op: '>=', limit: 1.0, load: { start: res.machine.loadAvg[0], now: loadavg()[0]!, cores: res.machine.cores } })}`,
      );
    }

    if (parts.has('main'))
      await runMain(
        res,
        methods.filter((m) => m.kind !== 'small' || parts.has('small')),
      );
    if (parts.has('variants')) await runSqliteVariants(res, rows, ingestBatch, REPS);
    if (parts.has('follow')) await runFollow(res, REPS, opts.quick);

    if (parts.has('pg')) {
      // PostgreSQL (benches/ingest-pg.ts): the same journal, and three journals of a third each.
      const thirds = [0, 1, 2].map((k) => join(work, `wal-third-${k}`));
      const sizes = [0, 1, 2].map((k) => Math.floor((n * (k + 1)) / 3) - Math.floor((n * k) / 3));
      for (let k = 0; k < 3; k++) await buildJournal(thirds[k]!, sizes[k]!, Math.floor((n * k) / 3));
      await runPg(res, n, walDir, rows, thirds);
    }
    return finishResult(res);
  } finally {
    removeTempDir(work);
  }
}

if (isMain(import.meta.url)) await main(run);
