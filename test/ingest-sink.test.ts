// The Ingestor through an ASYNC sink (as PgStore is): batches commit one at a time in order, a
// failed commit stops the loop with nothing sent after it (a later batch would move the cursor past
// the lost one), and start() again resumes from the stored cursor. The sink here is the SQLite Store
// behind a wrapper that answers after a delay and can be told to fail, so the outcome is checkable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ingestor, Store, encodeAssertion, type IngestSink, type JournalRecord, type BatchResult } from '../src/ingest/index.js';
import { FakeSource } from './helpers/ingest-fake-source.js';
import { assertion, tempDir } from './helpers/ingest-fixtures.js';
import { rejects } from './helpers/assert.js';

const tmp = tempDir('stemedb-sink-');
test.after(() => tmp.remove());

class SlowSink implements IngestSink {
  readonly readonly = false;
  /** Batches applied, as [first offset, count]; also those refused. */
  calls: Array<{ from: number; n: number; ok: boolean }> = [];
  inFlight = 0;
  maxInFlight = 0;
  failNext = 0;
  constructor(
    readonly store: Store,
    readonly delayMs: number,
  ) {}
  async applyBatch(consumer: string, records: readonly JournalRecord[], options?: { durable?: boolean }): Promise<BatchResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      const fail = this.failNext > 0;
      this.calls.push({ from: records[0]!.offset, n: records.length, ok: !fail });
      if (fail) {
        this.failNext--;
        throw Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });
      }
      return this.store.applyBatch(consumer, records, options);
    } finally {
      this.inFlight--;
    }
  }
  async cursor(consumer: string): Promise<number | undefined> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.store.cursor(consumer);
  }
  async syncCleanupFloor(consumer: string) {
    return this.store.syncCleanupFloor(consumer);
  }
}

test('follow through a slow async sink: batches commit in order, one at a time, all rows once', async () => {
  const store = Store.open(tmp.file('a.db'));
  const sink = new SlowSink(store, 15);
  const source = await FakeSource.create();
  const ing = new Ingestor(source, sink, { batchSize: 7, maxLatencyMs: 1 });
  ing.start();
  let last: JournalRecord | undefined;
  for (let i = 0; i < 200; i++) {
    last = source.append(encodeAssertion(assertion(i)));
    if (i % 13 === 0) await new Promise((r) => setTimeout(r, 2)); // let timer commits race the pump
  }
  await ing.waitFor(last!.next);
  await ing.stop();
  assert.is(sink.maxInFlight, 1, 'never two commits at once');
  for (let i = 1; i < sink.calls.length; i++) assert.ok(sink.calls[i]!.from > sink.calls[i - 1]!.from, 'commits in offset order');
  assert.is(store.counts().assertions, 200);
  assert.is(store.cursor('default'), last!.next);
  assert.is(ing.cursor, last!.next);
  store.close();
});

test('a failed async commit stops the loop, sends nothing after it, and a restart resumes from the stored cursor', async () => {
  const store = Store.open(tmp.file('b.db'));
  const sink = new SlowSink(store, 5);
  const source = await FakeSource.create();
  const recs = source.appendAll(Array.from({ length: 50 }, (_, i) => encodeAssertion(assertion(i))));
  const errors: unknown[] = [];
  const ing = new Ingestor(source, sink, { batchSize: 10, onError: (e, fatal) => fatal && errors.push(e) });
  sink.failNext = 1;
  // The very first batch fails: nothing may have been applied after it.
  await rejects(() => ing.catchUp(), /connection lost/);
  assert.equal(sink.calls, [{ from: recs[0]!.offset, n: 10, ok: false }]);
  assert.is(store.cursor('default'), undefined);
  assert.is(store.counts().assertions, 0);

  // In follow mode: the third batch fails; the loop stops, stop() rejects with the error.
  sink.calls = [];
  let failAt = 0;
  const follower = new Ingestor(source, sink, {
    batchSize: 10,
    onError: (e, fatal) => fatal && errors.push(e),
    onBatch: () => {
      if (++failAt === 2) sink.failNext = 1;
    },
  });
  follower.start();
  await rejects(() => follower.waitFor(recs[49]!.next), /connection lost/);
  await rejects(() => follower.stop(), /connection lost/);
  assert.is(errors.length, 1);
  assert.equal(
    sink.calls.map((c) => c.ok),
    [true, true, false],
    'nothing sent after the failed batch',
  );
  assert.is(store.cursor('default'), recs[20]!.offset, 'the cursor stays at the last committed batch');
  assert.is(store.counts().assertions, 20);

  // start() again resumes from the stored cursor and finishes.
  follower.start();
  await follower.waitFor(recs[49]!.next);
  await follower.stop();
  assert.is(store.counts().assertions, 50);
  assert.is(store.cursor('default'), recs[49]!.next);
  store.close();
});

test('an async sink: the cursor getter reflects the stored cursor once read', async () => {
  const store = Store.open(tmp.file('c.db'));
  const source = await FakeSource.create();
  const recs = source.appendAll(Array.from({ length: 5 }, (_, i) => encodeAssertion(assertion(i))));
  store.applyBatch('default', recs.slice(0, 3));
  const ing = new Ingestor(source, new SlowSink(store, 5));
  await new Promise((r) => setTimeout(r, 30));
  assert.is(ing.cursor, recs[2]!.next);
  const stats = await ing.catchUp();
  assert.is(stats.records, 2);
  assert.is(stats.cursor, recs[4]!.next);
  store.close();
});

test.run();
