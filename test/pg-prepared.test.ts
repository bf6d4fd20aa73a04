// The Ingestor prepares batch N+1 (decodes, sorts, encodes it) while batch N's transaction is in
// flight. A prepared batch writes nothing: when the run ends between "N committed" and "N+1
// applied" (the server goes away, in catchUp() and in follow mode, or the process is SIGKILLed),
// the cursor and the tables are exactly at batch N, and the next run resumes from there. Also: a
// prepared batch that finds records of it already applied is prepared again in its transaction,
// and equal keys in one batch keep the first offset's row (the key sort's ties).
// Without initdb/pg_ctl this file prints one `skipped: ...` line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { Ingestor, PgStore, StoreError, encodeAssertion, type JournalRecord } from '../src/ingest/index.js';
import { FakeSource } from './helpers/ingest-fake-source.js';
import { assertion, tempDir } from './helpers/ingest-fixtures.js';
import { PgServer, skipWithoutPg } from './helpers/pg-server.js';
import { PreparedProbe } from './helpers/prepared-probe.js';
import { spawnTs, waitForLine } from './helpers/child.js';

const BATCH = 50;
const BATCHES = 5;
const HOLD = 2; // batch HOLD commits, batch HOLD + 1 is prepared and never applied

if (skipWithoutPg('pg-prepared.test.ts')) {
  test.run();
} else {
  const server = await PgServer.start();
  const tmp = tempDir('stemedb-pgprep-');
  const open: PgStore[] = [];
  let n = 0;
  const openStore = async (url: string) => {
    const s = await PgStore.open(url);
    open.push(s);
    return s;
  };

  test.after(async () => {
    for (const s of open) await s.close().catch(() => undefined);
    server.stop();
    tmp.remove();
  });

  /** The store holds exactly the first `batches` batches of `recs`, and its cursor is at their end. */
  async function atBatch(store: PgStore, recs: readonly JournalRecord[], batches: number): Promise<void> {
    const end = recs[batches * BATCH - 1]!.next;
    assert.is(await store.cursor('default'), end, `cursor at the end of batch ${batches}`);
    assert.equal(await store.counts(), { assertions: batches * BATCH, votes: 0, epochs: 0, deadLetters: 0 });
    const r = await store.pool.query<{ max: number }>('SELECT max("offset") AS max FROM assertions');
    assert.is(Number(r.rows[0]!.max), recs[batches * BATCH - 1]!.offset, 'no row of the prepared batch');
  }

  /** The batch after N failed for want of the server: its connection broke, or a new one was refused. */
  function assertServerGone(err: unknown): void {
    assert.instance(err, StoreError);
    assert.ok(['CONNECTION_LOST', 'CONNECT_FAILED'].includes((err as StoreError).code), (err as StoreError).code);
  }

  /** A probe that, once batch HOLD has committed and HOLD + 1 is prepared, takes the server down. */
  function serverGoesAway(store: PgStore): PreparedProbe {
    const probe: PreparedProbe = new PreparedProbe(store, async (k) => {
      if (k !== HOLD) return;
      await probe.preparedAtLeast(HOLD + 1);
      server.stopServer('immediate');
    });
    return probe;
  }

  async function source(): Promise<{ src: FakeSource; recs: JournalRecord[] }> {
    const src = await FakeSource.create();
    const recs = src.appendAll(Array.from({ length: BATCH * BATCHES }, (_, i) => encodeAssertion(assertion(i))));
    return { src, recs };
  }

  test('catchUp(): the server goes away with batch N committed and N+1 prepared: the store is exactly at N, then resumes', async () => {
    const url = await server.database(`p${n++}`);
    const store = await openStore(url);
    const { src, recs } = await source();
    const probe = serverGoesAway(store);
    let err: unknown;
    try {
      await new Ingestor(src, probe, { batchSize: BATCH }).catchUp();
    } catch (e) {
      err = e;
    } finally {
      server.restartServer();
    }
    assertServerGone(err);
    assert.ok(probe.prepared > HOLD, 'the batch after N was prepared');
    assert.is(probe.applied, HOLD + 1, 'its transaction failed: nothing sent after it');
    // A new pool after the restart: what the database holds, not what a stale pooled connection says.
    const after = await openStore(url);
    await atBatch(after, recs, HOLD);

    const stats = await new Ingestor(src, after, { batchSize: BATCH }).catchUp();
    assert.is(stats.assertions, (BATCHES - HOLD) * BATCH);
    await atBatch(after, recs, BATCHES);
  });

  test('follow mode: the same gap; stop() rejects with the error, the store is exactly at N, start() again resumes', async () => {
    const url = await server.database(`p${n++}`);
    const store = await openStore(url);
    const { src, recs } = await source();
    const probe = serverGoesAway(store);
    // No timer commits: every batch is a full one, cut at BATCH records (the expected cursors).
    const ing = new Ingestor(src, probe, { batchSize: BATCH, maxLatencyMs: 60_000 });
    ing.start();
    await probe.preparedAtLeast(HOLD + 1);
    while (probe.applied <= HOLD) await new Promise((r) => setTimeout(r, 1));
    let err: unknown;
    try {
      await ing.stop();
    } catch (e) {
      err = e;
    } finally {
      server.restartServer();
    }
    assertServerGone(err);
    assert.is(probe.applied, HOLD + 1, 'nothing sent after the failed batch');
    const after = await openStore(url);
    await atBatch(after, recs, HOLD);
    assert.is(ing.cursor, recs[HOLD * BATCH - 1]!.next);

    const again = new Ingestor(src, after, { batchSize: BATCH, maxLatencyMs: 1 });
    again.start();
    await again.waitFor(recs.at(-1)!.next);
    await again.stop();
    await atBatch(after, recs, BATCHES);
  });

  test('SIGKILL with batch N committed and N+1 prepared: the store is exactly at N; a restart ends with every row once', async () => {
    const url = await server.database(`p${n++}`);
    const store = await openStore(url);
    const dir = tmp.file('wal');
    const j = await Journal.open(dir, { durability: 'none' });
    const recs: JournalRecord[] = [];
    for (let i = 0; i < BATCH * BATCHES; i++) {
      const payload = encodeAssertion(assertion(i));
      const { offset, next, hash } = await j.append(payload);
      recs.push({ offset, next, hash, payload });
    }
    await j.sync();
    await j.close();

    const child = spawnTs('child-pg-prepared.ts', [dir, url, String(BATCH), String(HOLD)]);
    const exited = new Promise((r) => child.on('exit', r));
    const held = await waitForLine(child, /^held /);
    assert.equal(held.split(' ').slice(2), [String(HOLD + 1), String(HOLD)], 'killed with N+1 prepared, not applied');
    child.kill('SIGKILL');
    await exited;
    await atBatch(store, recs, HOLD);

    const reader = await Journal.openReader(dir);
    try {
      await new Ingestor(reader, store, { batchSize: BATCH }).catchUp();
    } finally {
      reader.close();
    }
    await atBatch(store, recs, BATCHES);
  });

  test('a prepared batch whose first records another writer applied meanwhile: re-prepared in the transaction, those skipped, the rest once', async () => {
    const store = await openStore(await server.database(`p${n++}`));
    const { recs } = await source();
    const batch = recs.slice(0, 10);
    const prepared = await store.prepareBatch(batch);
    await store.applyBatch('default', batch.slice(0, 4));
    const r = await store.applyPrepared('default', prepared);
    assert.equal([r.skipped, r.assertions, r.duplicates, r.cursor], [4, 6, 0, batch[9]!.next]);
    assert.is((await store.counts()).assertions, 10);
  });

  test('the same payload three times in a batch: one row, from the first offset (ties in the key sort go by offset)', async () => {
    const store = await openStore(await server.database(`p${n++}`));
    const src = await FakeSource.create();
    const same = encodeAssertion(assertion(7));
    const recs = src.appendAll([encodeAssertion(assertion(1)), same, encodeAssertion(assertion(2)), same, same, encodeAssertion(assertion(3))]);
    const r = await store.applyBatch('default', recs);
    assert.equal([r.assertions, r.duplicates], [4, 2]);
    assert.is((await store.getAssertion(recs[1]!.hash))!.offset, recs[1]!.offset);
  });

  test.run();
}
