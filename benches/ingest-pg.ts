/**
 * PostgreSQL rows of the ingest bench (run from benches/ingest.ts):
 *   stemedb Ingestor -> PgStore     Journal.openReader -> Ingestor.catchUp() into a fresh database:
 *                                   reads and verifies frames, decodes, and commits rows + cursor
 *                                   in one transaction per batch (one INSERT ... unnest per table).
 *   direct batched insert           the same decoded rows (decoded beforehand, not timed) into the
 *                                   same schema with pg: one INSERT ... SELECT FROM unnest(arrays)
 *                                   ON CONFLICT DO NOTHING per transaction of the same size.
 *   3 concurrent Ingestors          three journals of n/3 distinct assertions, three Ingestors (each
 *                                   its own PgStore and consumer) into one database at once, in this
 *                                   one process; aggregate rows/s.
 * The server: STEMEDB_BENCH_PG_URL (a database the bench may create databases in), else a
 * throwaway one started with initdb + pg_ctl (fsync on). Without either, the rows are skipped with
 * a note saying why.
 */
import type { Client } from 'pg';
import { availableParallelism, loadavg } from 'node:os';
import { Journal } from '../src/index.js';
import { DEFAULT_BATCH_SIZE, Ingestor, PG_BATCH_SIZE, PgStore } from '../src/ingest/index.js';
import { PgServer, findPgBinaries, SKIP_HINT } from '../test/helpers/pg-server.js';
import { type BenchResult, type Table, Samples, addGroup, log, sig, target } from './lib/index.js';
import type { Row } from './ingest.js';
import { benchReps } from './ingest-common.js';

// PostgreSQL runs vary more than SQLite ones on a shared machine: 5 unless STEMEDB_INGEST_REPS says.
const REPS = benchReps(5);
const PG_BATCH = PG_BATCH_SIZE;

async function client(url: string): Promise<Client> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

async function freshDatabase(admin: Client, baseUrl: string, name: string): Promise<string> {
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function count(url: string): Promise<number> {
  const c = await client(url);
  try {
    return Number((await c.query('SELECT count(*) AS n FROM assertions')).rows[0].n);
  } finally {
    await c.end();
  }
}

async function direct(url: string, rows: Row[], txn: number): Promise<void> {
  await (await PgStore.open(url)).close(); // the same schema, by the same migrations
  const c = await client(url);
  try {
    for (let lo = 0; lo < rows.length; lo += txn) {
      const cols: unknown[][] = Array.from({ length: 13 }, () => []);
      for (const r of rows.slice(lo, lo + txn)) {
        const [hash, subject, predicate, object, kind, epoch, author, confidence, createdAt, evidence, offset] = r;
        const values = [
          Buffer.from(hash),
          subject,
          predicate,
          kind,
          typeof object === 'string' ? object : null,
          typeof object === 'number' ? object : null,
          null,
          Buffer.from(epoch),
          author,
          confidence,
          createdAt,
          evidence,
          offset,
        ];
        for (let i = 0; i < 13; i++) cols[i]!.push(values[i]);
      }
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO assertions (hash, subject, predicate, object_kind, object_text, object_number, object_bytes, epoch, author, confidence, created_at, evidence, "offset")
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::float8[], $7::bytea[], $8::bytea[], $9::text[], $10::float8[], $11::bigint[], $12::text[], $13::bigint[])
         ON CONFLICT (hash) DO NOTHING`,
        cols,
      );
      await c.query('COMMIT');
    }
  } finally {
    await c.end();
  }
}

async function ingest(url: string, walDirs: string[]): Promise<number> {
  const stores = await Promise.all(walDirs.map(() => PgStore.open(url)));
  const readers = await Promise.all(walDirs.map((d) => Journal.openReader(d)));
  try {
    const stats = await Promise.all(readers.map((r, k) => new Ingestor(r, stores[k]!, { consumer: `bench-${k}` }).catchUp()));
    return stats.reduce((a, s) => a + s.assertions, 0);
  } finally {
    for (const r of readers) r.close();
    await Promise.all(stores.map((s) => s.close()));
  }
}

/**
 * Adds the PostgreSQL table to `res`. `walDir`: the bench journal of n assertions, `rows` its
 * decoded rows; `thirds`: three journals of n/3 distinct assertions each.
 */
export async function runPg(res: BenchResult, n: number, walDir: string, rows: Row[], thirds: string[]): Promise<void> {
  const given = process.env.STEMEDB_BENCH_PG_URL;
  if (!given && !findPgBinaries()) {
    res.tables.push({ title: 'PostgreSQL', columns: ['skipped'], rows: [[SKIP_HINT]], notes: [] });
    return;
  }
  const server = given ? null : await PgServer.start({ fsync: true });
  const base = given ?? server!.url;
  const admin = await client(base);
  try {
    const settings = Object.fromEntries(
      (
        await admin.query(`SELECT name, setting, unit FROM pg_settings WHERE name IN ('synchronous_commit', 'shared_buffers', 'fsync', 'server_version')`)
      ).rows.map((r) => [r.name, `${r.setting}${r.unit ? ` x ${r.unit}` : ''}`]),
    );
    const batch = DEFAULT_BATCH_SIZE;
    const wall = new Samples();
    // The direct insert at both transaction sizes: the target is against the faster one (8192-row
    // transactions were faster than 65 536-row ones here: smaller arrays to encode and unnest).
    const names = {
      ours: 'stemedb Ingestor (journal -> PostgreSQL)',
      direct: 'direct batched insert (pg, unnest)',
      directSmall: 'direct batched insert (pg, unnest), small txns',
      three: '3 concurrent Ingestors, one database (aggregate)',
    };
    const txnRows: Record<string, number> = { [names.ours]: PG_BATCH, [names.direct]: batch, [names.directSmall]: PG_BATCH, [names.three]: PG_BATCH };
    for (let rep = 0; rep < REPS; rep++) {
      for (const [name, fn] of [
        [names.ours, async (url: string) => ingest(url, [walDir])],
        [names.direct, async (url: string) => (await direct(url, rows, batch), n)],
        [names.directSmall, async (url: string) => (await direct(url, rows, PG_BATCH), n)],
        [names.three, async (url: string) => ingest(url, thirds)],
      ] as const) {
        const url = await freshDatabase(admin, base, `stemedb_bench_${rep}`);
        const t0 = performance.now();
        const ingested = await fn(url);
        const seconds = (performance.now() - t0) / 1000;
        const stored = await count(url);
        if (stored !== n || ingested !== n) throw new Error(`${name}: ${stored} rows stored, ${ingested} reported, expected ${n}`);
        wall.add(name, n / seconds);
        log(`  ${rep + 1}/${REPS} ${name.padEnd(52)} ${sig(seconds, 3)} s  ${sig(n / seconds / 1000, 3)} k rows/s`);
        await admin.query(`DROP DATABASE stemedb_bench_${rep}`);
      }
    }
    const best = wall.median(names.direct) >= wall.median(names.directSmall) ? names.direct : names.directSmall;
    const ratio = wall.pairedRatio(names.ours, best);
    const table: Table = {
      title: `${n.toLocaleString('en-US')} assertions into PostgreSQL`,
      columns: ['method', 'rows/txn', 'rows/s (median)', 'min', 'max', 'Ingestor ÷ this', 'rate ÷ faster direct (floor)'],
      rows: [names.ours, names.direct, names.directSmall, names.three].map((m) => [
        m,
        txnRows[m]!,
        sig(wall.median(m), 3),
        sig(Math.min(...wall.all(m)), 3),
        sig(Math.max(...wall.all(m)), 3),
        sig(wall.pairedRatio(names.ours, m), 3),
        sig(wall.pairedRatio(m, best), 3),
      ]),
      notes: [
        `Server: ${given ? 'STEMEDB_BENCH_PG_URL' : 'a throwaway local server (initdb + pg_ctl, Unix socket)'}; ${Object.entries(settings)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.`,
        `Median of ${REPS} runs per method, interleaved, each into a fresh database; every run checked: ${n} rows in assertions.`,
        `The Ingestor uses its default batch into PostgreSQL (PgStore.preferredBatchSize, ${PG_BATCH} records per transaction) and reads the next batch while one commits; the direct insert sends one statement per transaction, of ${batch} or of ${PG_BATCH} rows. The target compares with the faster of the two (by median): ${best}.`,
        'The direct insert gets the rows already decoded; the Ingestor reads, verifies (CRC32C + BLAKE3) and decodes the journal inside its time, and commits its cursor with every batch.',
        `The 3 concurrent Ingestors run in this one process (one event loop: decoding is not parallel), each from its own journal of about ${Math.round(n / 3)} distinct assertions.`,
        `"rate ÷ faster direct (floor)": paired, each method ÷ ${best} in the same repetition: the same rows inserted with nothing else, the floor of the Ingestor's work here.`,
      ],
    };
    res.tables.push(table);
    addGroup(res, table, {
      title: `Ingestor, ${n.toLocaleString('en-US')} assertions journal -> PostgreSQL`,
      unit: 'rows/s',
      name: 'method',
      value: 'rows/s (median)',
      toFloor: 'rate ÷ faster direct (floor)',
      ours: { method: names.ours },
      peers: [],
      floor: { method: best },
      noPeer: 'none: the direct inserts are the floor, and no npm package ingests a journal into PostgreSQL',
    });
    target(
      res,
      'Ingestor vs direct batched insert into PostgreSQL',
      '>= 0.9x the direct rate',
      ratio,
      '>=',
      0.9,
      `${sig(ratio, 3)}x, paired, vs the faster direct insert (${txnRows[best]} rows/txn: ${sig(wall.median(best) / 1000, 3)} k/s; load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores; 3 ingestors: ${sig(wall.median(names.three) / 1000, 3)} k/s aggregate)`,
    );
  } finally {
    await admin.end();
    server?.stop();
  }
}
