// Several journals' ingestors sharing one store (SQLite file, then PostgreSQL): journal cleanup
// waits only for the consumers of its own journal (IngestorOptions.journal), real writer journals
// with small segments. Without initdb/pg_ctl the PostgreSQL half prints one `skipped: ...` line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { Ingestor, PgStore, Store, encodeAssertion, type IngestorOptions, type CleanupInfo } from '../src/ingest/index.js';
import { assertion, tempDir } from './helpers/ingest-fixtures.js';
import { rejects } from './helpers/assert.js';
import { PgServer, skipWithoutPg } from './helpers/pg-server.js';

type AnyStore = Store | PgStore;

const tmp = tempDir('stemedb-journal-ids-');
const journals: Journal[] = [];
let n = 0;

async function filledJournal(first: number, count: number): Promise<Journal> {
  const j = await Journal.open(tmp.file(`wal${n++}`), { segmentBytes: 1024 });
  journals.push(j);
  await j.appendBatch(Array.from({ length: count }, (_, k) => encodeAssertion(assertion(first + k))));
  return j;
}

/** Catches up with cleanup on every batch; returns every cleanup it did and every (non-fatal) cleanup error. */
async function cleaningCatchUp(j: Journal, store: AnyStore, options: IngestorOptions): Promise<{ cleanups: CleanupInfo[]; errors: Error[] }> {
  const cleanups: CleanupInfo[] = [];
  const errors: Error[] = [];
  await new Ingestor(j, store, {
    batchSize: 16,
    cleanup: { intervalMs: 0 },
    onCleanup: (c) => cleanups.push(c),
    onError: (e) => errors.push(e as Error),
    ...options,
  }).catchUp();
  return { cleanups, errors };
}

/**
 * Journal B has a consumer stopped after 30 records (its cursor a few segments in); journal A has
 * a single consumer. Both journals are ~300 records, so A's offsets run far past B's stopped cursor.
 */
async function twoJournals(store: AnyStore, ids: { a?: string; b?: string }) {
  const ja = await filledJournal(0, 300);
  const jb = await filledJournal(10_000, 30);
  await new Ingestor(jb, store, { consumer: 'b-stopped', journal: ids.b }).catchUp();
  const stopped = (await store.cursor('b-stopped'))!;
  await jb.appendBatch(Array.from({ length: 270 }, (_, k) => encodeAssertion(assertion(20_000 + k))));
  return { ja, jb, stopped };
}

function scenarios(name: string, newStore: () => Promise<AnyStore>): void {
  test(`${name}: journal A's cleanup is not held back by journal B's stopped consumer; B's still is`, async () => {
    const store = await newStore();
    const { ja, jb, stopped } = await twoJournals(store, { a: 'A', b: 'B' });

    const { cleanups: a, errors: aErrors } = await cleaningCatchUp(ja, store, { consumer: 'a-main', journal: 'A' });
    assert.equal(aErrors, []);
    assert.is(await store.cursor('a-main'), ja.nextOffset);
    assert.equal(a.at(-1)!.slowest, { consumer: 'a-main', next: ja.nextOffset, journal: 'A' }, "A's floor is A's own cursor");
    assert.ok(ja.firstOffset > stopped, `A cleaned up to ${ja.firstOffset}, past B's stopped cursor ${stopped} (an offset of another journal)`);
    assert.ok(a.some((c) => c.offset > stopped && c.removed.length > 0));

    const { cleanups: b, errors: bErrors } = await cleaningCatchUp(jb, store, { consumer: 'b-main', journal: 'B' });
    assert.equal(bErrors, []);
    assert.is(await store.cursor('b-main'), jb.nextOffset);
    assert.ok(b.length > 0 && b.every((c) => c.offset <= stopped), `B's cleanup offsets ${b.map((c) => c.offset)} <= its stopped consumer's ${stopped}`);
    assert.equal(b.at(-1)!.slowest, { consumer: 'b-stopped', next: stopped, journal: 'B' });
    assert.ok(jb.firstOffset <= stopped, 'what the stopped consumer has not read is still there');

    // The stopped consumer resumes without a CURSOR_GAP and reads everything it missed.
    const resumed = await new Ingestor(jb, store, { consumer: 'b-stopped', journal: 'B' }).catchUp();
    assert.is(resumed.records, 270);
    assert.equal((await store.counts()).assertions, 600);
  });

  test(`${name}: without journal ids every consumer counts as one journal's (conservative default)`, async () => {
    const store = await newStore();
    const { ja, stopped } = await twoJournals(store, {});
    const { cleanups, errors } = await cleaningCatchUp(ja, store, { consumer: 'a-main' });
    assert.ok(
      cleanups.every((c) => c.offset <= stopped),
      'held back by a consumer of another journal: safe, but cleanup stalls',
    );
    assert.ok(ja.firstOffset <= stopped);
    // Worse, B's offset means nothing in A: here it is not even one of A's record boundaries.
    assert.ok(errors.length > 0 && errors.every((e) => /not a record boundary/.test(e.message)), String(errors));
  });

  test(`${name}: a consumer name reused for another journal is JOURNAL_MISMATCH, nothing written`, async () => {
    const store = await newStore();
    const { jb } = await twoJournals(store, { b: 'B' });
    const before = await store.counts();
    const err = await rejects(
      () => new Ingestor(jb, store, { consumer: 'b-stopped', journal: 'A' }).catchUp(),
      (e: Error & { code?: string }) => e.code === 'JOURNAL_MISMATCH',
    );
    assert.match(err.message, /reads journal "B", not "A"/);
    assert.equal(await store.counts(), before);
    assert.throws(() => new Ingestor(jb, store, { journal: '' }), TypeError);
    assert.throws(() => new Ingestor(jb, store, { journal: 5 as unknown as string }), TypeError);
  });
}

const sqlite: Store[] = [];
scenarios('SQLite', async () => {
  const s = Store.open(tmp.file(`s${n++}.db`));
  sqlite.push(s);
  return s;
});

const pgStores: PgStore[] = [];
let server: PgServer | null = null;
if (!skipWithoutPg('ingest-journal-ids.test.ts (PostgreSQL half)')) {
  server = await PgServer.start();
  const srv = server;
  scenarios('PostgreSQL', async () => {
    const s = await PgStore.open(await srv.database(`ids${n++}`));
    pgStores.push(s);
    return s;
  });
}

test.after(async () => {
  for (const j of journals) await j.close().catch(() => undefined);
  for (const s of sqlite) s.close();
  for (const s of pgStores) await s.close().catch(() => undefined);
  server?.stop();
  tmp.remove();
});

test.run();
