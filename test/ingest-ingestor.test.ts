import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IngestError, Ingestor, Store, encodeAssertion, encodeEpoch, encodeVote, type BatchResult, type IngestorOptions } from '../src/ingest/index.js';
import { FakeSource, type FakeSourceOptions } from './helpers/ingest-fake-source.js';
import { EPOCH_A, EPOCH_B, assertion, epoch, hex, plain, tempDir, vote } from './helpers/ingest-fixtures.js';
import { within } from './helpers/assert.js';

const tmp = tempDir('stemedb-ingestor-');
const stores: Store[] = [];
const running: Ingestor[] = [];
let n = 0;

function newStore(path = tmp.file(`i${n++}.db`)): Store {
  const s = Store.open(path);
  stores.push(s);
  return s;
}

function newIngestor(source: FakeSource, store: Store, options?: IngestorOptions): Ingestor {
  const ing = new Ingestor(source, store, options);
  running.push(ing);
  return ing;
}

test.after.each(async () => {
  for (const ing of running.splice(0)) await ing.stop().catch(() => undefined);
});

test.after(() => {
  for (const s of stores) s.close();
  tmp.remove();
});

// ---------------------------------------------------------------------------------

test('each record type round-trips journal -> SQLite', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const a = assertion(1, { evidence: ['https://x.example'], object: new Uint8Array([7, 7]) });
  const [ra] = src.appendAll([encodeAssertion(a)]);
  const v = vote(ra!.hash, 1, { stance: -1, weight: 2.5 });
  const e = epoch(EPOCH_B, { parent: EPOCH_A });
  const [rv, re] = src.appendAll([encodeVote(v), encodeEpoch(e)]);

  const ing = newIngestor(src, store);
  const r = await ing.catchUp();
  assert.equal({ ...r }, { records: 3, assertions: 1, votes: 1, epochs: 1, duplicates: 0, deadLetters: 0, skipped: 0, batches: 1, cursor: re!.next });
  assert.is(store.cursor(), re!.next);
  assert.is(ing.cursor, re!.next);

  const ga = store.getAssertion(ra!.hash)!;
  assert.equal(plain({ ...ga, hash: undefined, offset: undefined }), plain(a));
  assert.is(ga.offset, ra!.offset);
  const [gv] = store.votesFor(ra!.hash);
  assert.equal(plain({ ...gv, hash: undefined, offset: undefined }), plain(v));
  assert.is(hex(gv!.hash), hex(rv!.hash), 'vote keyed by the journal hash');
  const ge = store.getEpoch(EPOCH_B)!;
  assert.equal(plain({ ...ge, hash: undefined, offset: undefined }), plain(e));
  assert.equal(store.tally(ra!.hash), { support: 0, oppose: 2.5, score: -2.5, votes: 1 });

  // Nothing new: a second catch-up is empty.
  const again = await ing.catchUp();
  assert.is(again.records, 0);
  assert.is(again.batches, 0);
});

test('the ingestor uses the journal hash, never its own', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const payload = encodeAssertion(assertion(1));
  const fakeHash = new Uint8Array(32).fill(0xab); // a journal would never do this; proves no re-hashing
  src.appendRaw({ offset: 0, next: 40 + payload.length, payload, hash: fakeHash });
  await newIngestor(src, store).catchUp();
  assert.ok(store.getAssertion(fakeHash));
});

test('duplicates collapse (same payload appended twice, and replays)', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const p = encodeAssertion(assertion(1));
  const pv = encodeVote(vote(src.hash(p), 1));
  src.appendAll([p, pv, p, pv, encodeEpoch(epoch()), encodeEpoch(epoch())]);
  const r = await newIngestor(src, store).catchUp();
  assert.is(r.assertions, 1);
  assert.is(r.votes, 1);
  assert.is(r.epochs, 1);
  assert.is(r.duplicates, 3);
  assert.equal(store.counts(), { assertions: 1, votes: 1, epochs: 1, deadLetters: 0 });
  assert.is(store.tally(src.hash(p))!.votes, 1);

  // A second consumer re-reads everything into the same tables: all duplicates.
  const mirror = await newIngestor(src, store, { consumer: 'mirror' }).catchUp();
  assert.is(mirror.duplicates, 6);
  assert.equal(store.counts(), { assertions: 1, votes: 1, epochs: 1, deadLetters: 0 });
});

test('a subject with many assertions lists them all (many batches)', async () => {
  const src = await FakeSource.create({ ioEvery: 97 });
  const store = newStore();
  const total = 5000;
  for (let i = 0; i < total; i++) src.append(encodeAssertion(assertion(i, { subject: i % 5 === 0 ? 'other' : 'hot', object: i })));
  const batches: BatchResult[] = [];
  const r = await newIngestor(src, store, { batchSize: 333, onBatch: (b) => batches.push(b) }).catchUp();
  assert.is(r.assertions, total);
  assert.is(r.batches, Math.ceil(total / 333));
  assert.ok(batches.every((b, i) => b.records === (i < batches.length - 1 ? 333 : total % 333)));
  const seen = new Set<string>();
  let after: Uint8Array | undefined;
  for (;;) {
    const page = store.assertionsBySubject('hot', { limit: 250, after });
    for (const a of page) seen.add(hex(a.hash));
    if (page.length < 250) break;
    after = page[page.length - 1]!.hash;
  }
  assert.is(seen.size, total * 0.8);
});

test('votes that arrive before their assertion are kept and counted once it arrives', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const a = encodeAssertion(assertion(1));
  const h = src.hash(a);
  src.appendAll([encodeVote(vote(h, 1, { weight: 2 })), encodeVote(vote(h, 2, { stance: -1, weight: 0.5 }))]);
  const ing = newIngestor(src, store);
  await ing.catchUp();
  assert.is(store.votesFor(h).length, 2);
  assert.is(store.tally(h), null);
  src.append(a);
  await ing.catchUp();
  assert.equal(store.tally(h), { support: 2, oppose: 0.5, score: 1.5, votes: 2 });
  src.append(encodeVote(vote(h, 3, { weight: 1 })));
  await ing.catchUp();
  assert.equal(store.tally(h), { support: 3, oppose: 0.5, score: 2.5, votes: 3 });
});

test('malformed payloads land in dead_letters; ingestion continues', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const good1 = src.append(encodeAssertion(assertion(1)));
  const bad = [
    Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0, 0x90]), // unknown type
    Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0, 0x90]), // padding
    encodeAssertion(assertion(2)).subarray(0, 20), // truncated
    new Uint8Array(0), // empty
    Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0x93, 1, 2, 3]), // vote with bad fields
  ].map((p) => src.append(p));
  const good2 = src.append(encodeAssertion(assertion(3)));
  const r = await newIngestor(src, store, { batchSize: 2 }).catchUp();
  assert.is(r.deadLetters, 5);
  assert.is(r.assertions, 2);
  assert.ok(store.getAssertion(good1.hash) && store.getAssertion(good2.hash));
  const dead = store.deadLetters();
  assert.equal(
    dead.map((d) => [d.offset, d.code]),
    [
      [bad[0]!.offset, 'UNKNOWN_TYPE'],
      [bad[1]!.offset, 'BAD_PADDING'],
      [bad[2]!.offset, 'TRUNCATED'],
      [bad[3]!.offset, 'TRUNCATED'],
      [bad[4]!.offset, 'BAD_FIELD'],
    ],
  );
  assert.ok(dead.every((d, i) => hex(d.payload) === hex(bad[i]!.payload) && d.reason.length > 0));
  assert.is(store.cursor(), good2.next);
});

test('follow: start() ingests appends as they come; waitFor gives read-your-writes', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const ing = newIngestor(src, store, { maxLatencyMs: 2, batchSize: 64 });
  ing.start();
  assert.ok(ing.isRunning);
  assert.throws(
    () => ing.start(),
    (e: unknown) => e instanceof IngestError && e.code === 'BUSY',
  );
  await ing.catchUp().then(
    () => assert.unreachable('catchUp while running'),
    (e: unknown) => assert.ok(e instanceof IngestError && e.code === 'BUSY'),
  );
  const rec = src.append(encodeAssertion(assertion(1)));
  await within(ing.waitFor(rec.next), 2000, 'single record within maxLatencyMs');
  assert.ok(store.getAssertion(rec.hash));
  // A burst bigger than a batch, appended while following, with the event loop turning.
  let last = rec;
  for (let i = 0; i < 1000; i++) {
    last = src.append(encodeAssertion(assertion(100 + i)));
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await within(ing.waitFor(last.next), 5000, 'burst');
  const stats = await within(ing.stop(), 2000, 'stop');
  assert.not.ok(ing.isRunning);
  assert.is(stats.assertions, 1001);
  assert.is(stats.cursor, last.next);
  assert.is(store.counts().assertions, 1001);
});

test('stop/restart resumes from the cursor without duplicates (new process = new Store)', async () => {
  const src = await FakeSource.create({ ioEvery: 10 });
  const path = tmp.file('resume.db');
  const expected = new Set<string>();
  const add = (i: number) => expected.add(hex(src.append(encodeAssertion(assertion(i))).hash));

  let store = Store.open(path);
  let ing = new Ingestor(src, store, { batchSize: 50, maxLatencyMs: 1 });
  ing.start();
  for (let i = 0; i < 300; i++) add(i);
  await within(ing.waitFor(src.end), 5000, 'first run');
  // Appends while stopping: some may be committed by stop(), the rest by the next run.
  for (let i = 300; i < 350; i++) add(i);
  const first = await ing.stop();
  store.close();
  for (let i = 350; i < 500; i++) add(i);

  store = Store.open(path);
  stores.push(store);
  const resumedAt = store.cursor()!;
  assert.is(resumedAt, first.cursor);
  ing = newIngestor(src, store, { batchSize: 50, maxLatencyMs: 1 });
  assert.is(ing.cursor, resumedAt);
  ing.start();
  await within(ing.waitFor(src.end), 5000, 'second run');
  const second = await ing.stop();
  assert.is(second.duplicates, 0, 'nothing read twice');
  assert.is(first.assertions + second.assertions, 500);
  assert.is(store.counts().assertions, 500);
  const all = store.db.prepare('SELECT hash FROM assertions').pluck().all() as Buffer[];
  assert.equal(new Set(all.map(hex)), expected);
});

test('a failed transaction keeps nothing of its batch; a rerun completes exactly once', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  for (let i = 0; i < 100; i++) src.append(encodeAssertion(assertion(i, { subject: i === 57 ? 'boom' : `s${i}` })));
  // Simulate a crash inside the transaction of the batch holding record 57.
  store.db.exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON assertions WHEN NEW.subject = 'boom' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
  const ing = newIngestor(src, store, { batchSize: 20 });
  await ing.catchUp().then(
    () => assert.unreachable('should fail'),
    (e: unknown) => assert.match(String(e), /simulated crash/),
  );
  assert.is(store.counts().assertions, 40, 'batches 0-1 committed, batch 2 rolled back whole');
  assert.is(store.cursor(), src.records[40]!.offset);
  assert.not.ok(ing.isRunning);
  store.db.exec('DROP TRIGGER boom');
  const r = await ing.catchUp();
  assert.is(r.records, 60);
  assert.is(r.duplicates, 0);
  assert.is(store.counts().assertions, 100);
});

test('a read failure mid-stream keeps committed batches; the next run resumes', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  for (let i = 0; i < 50; i++) src.append(encodeAssertion(assertion(i)));
  src.failAfter = 25;
  const ing = newIngestor(src, store, { batchSize: 10 });
  await ing.catchUp().then(
    () => assert.unreachable('should fail'),
    (e: unknown) => assert.match(String(e), /simulated read failure/),
  );
  assert.is(store.counts().assertions, 20);
  const r = await ing.catchUp();
  assert.is(r.records, 30);
  assert.is(store.counts().assertions, 50);
});

test('a fatal error while following stops the loop; stop() rejects with it', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const errors: [unknown, boolean][] = [];
  const ing = newIngestor(src, store, { maxLatencyMs: 1, onError: (e, fatal) => errors.push([e, fatal]) });
  ing.start();
  const good = src.append(encodeAssertion(assertion(1)));
  await within(ing.waitFor(good.next), 2000, 'good record');
  const waiting = ing.waitFor(good.next + 10_000);
  src.appendRaw({ offset: good.next, next: good.next + 50, payload: new Uint8Array(10), hash: new Uint8Array(3) });
  await within(
    waiting.then(
      () => assert.unreachable('waitFor should reject'),
      (e: unknown) => assert.ok(e instanceof IngestError && e.code === 'BAD_SOURCE'),
    ),
    2000,
    'waiter rejected',
  );
  assert.not.ok(ing.isRunning);
  assert.is(errors.length, 1);
  assert.is(errors[0]![1], true);
  await ing.stop().then(
    () => assert.unreachable('stop should reject'),
    (e: unknown) => assert.ok(e instanceof IngestError && e.code === 'BAD_SOURCE'),
  );
  assert.is(store.cursor(), good.next);
});

test('a consumer without a cursor starts at firstOffset, or at options.from', async () => {
  const src = await FakeSource.create({ baseOffset: 1000 });
  const store = newStore();
  const recs = src.appendAll([1, 2, 3].map((i) => encodeAssertion(assertion(i))));
  const ing = newIngestor(src, store, { from: recs[1]!.offset, consumer: 'late' });
  assert.is(ing.cursor, recs[1]!.offset);
  const r = await ing.catchUp();
  assert.is(r.assertions, 2);
  const all = await newIngestor(src, store).catchUp();
  assert.is(all.records, 3);
  assert.is(store.cursor(), recs[2]!.next);
});

async function cleanupRun(opts: FakeSourceOptions, cleanup: IngestorOptions['cleanup'], count: number) {
  const store = newStore();
  const checks: string[] = [];
  const src = await FakeSource.create({
    ...opts,
    beforeCleanup: (offset) => {
      // Only offsets the durably committed cursor has passed.
      const c = store.cursors().find((x) => x.consumer === 'default')!;
      if (!(offset <= c.synced && c.synced <= c.next)) checks.push(`offset ${offset} synced ${c.synced} next ${c.next}`);
      if (store.db.pragma('synchronous', { simple: true }) !== 1) checks.push('synchronous not restored');
    },
  });
  const cleanups: { offset: number; removed: string[] }[] = [];
  const ing = newIngestor(src, store, { batchSize: 25, cleanup, onCleanup: (c) => cleanups.push(c) });
  for (let i = 0; i < count; i++) src.append(encodeAssertion(assertion(i)));
  return { src, store, ing, checks, cleanups };
}

test('cleanup is called only with offsets the synced cursor has passed', async () => {
  const { src, store, ing, checks, cleanups } = await cleanupRun({ segmentBytes: 1000 }, { intervalMs: 0 }, 200);
  const segmentsBefore = src.segments.length;
  await ing.catchUp();
  assert.equal(checks, []);
  assert.ok(src.cleanupCalls.length >= 2, 'cleanup ran during and after the catch-up');
  const cursor = store.cursor()!;
  assert.ok(src.cleanupCalls.every((o) => o <= cursor));
  assert.is(cleanups.length, src.cleanupCalls.length);
  assert.ok(src.removed.length > 0 && src.removed.length < segmentsBefore);
  assert.ok(src.segments[0]!.base <= cursor, 'the segment holding the cursor stays');
  assert.is(store.cursors()[0]!.synced, cursor);
  // Everything from the cursor on is still readable; more appends ingest fine.
  src.append(encodeAssertion(assertion(9999)));
  const r = await ing.catchUp();
  assert.is(r.assertions, 1);
  assert.is(store.counts().assertions, 201);
});

test('cleanup while following, and with retainBytes / retainSegments', async () => {
  {
    const { src, ing, checks } = await cleanupRun({ segmentBytes: 1000, ioEvery: 5 }, { intervalMs: 0 }, 0);
    ing.start();
    for (let i = 0; i < 200; i++) {
      src.append(encodeAssertion(assertion(i)));
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await within(ing.waitFor(src.end), 5000, 'follow with cleanup');
    await ing.stop();
    assert.equal(checks, []);
    assert.ok(src.cleanupCalls.length > 0);
    assert.ok(src.removed.length > 0);
  }
  {
    const { src, store, ing, checks } = await cleanupRun({ segmentBytes: 1000 }, { intervalMs: 0, retainBytes: 3000 }, 200);
    await ing.catchUp();
    assert.equal(checks, []);
    const cursor = store.cursor()!;
    assert.ok(src.cleanupCalls.every((o) => o <= cursor - 3000));
    assert.ok(src.firstOffset <= cursor - 3000 + 1000, 'at most one segment more than asked was kept');
    assert.ok(src.firstOffset > 0);
  }
  {
    const { src, store, ing, checks } = await cleanupRun({ segmentBytes: 1000 }, { intervalMs: 0, retainSegments: 2 }, 200);
    await ing.catchUp();
    assert.equal(checks, []);
    const cursor = store.cursor()!;
    const bases = src.segmentBases!();
    const holding = bases.filter((b) => b <= cursor).length - 1;
    assert.is(holding, 2, 'exactly two whole segments kept below the cursor segment');
  }
});

test('cleanup options are checked against what the source can do', async () => {
  const store = newStore();
  const reader = await FakeSource.create({ withCleanup: false });
  assert.throws(() => new Ingestor(reader, store, { cleanup: true }), /cleanup needs a source with cleanup/);
  new Ingestor(reader, store); // fine without cleanup
  const noBases = await FakeSource.create({ withSegmentBases: false });
  assert.throws(() => new Ingestor(noBases, store, { cleanup: { retainSegments: 1 } }), /segmentBases/);
  assert.throws(() => new Ingestor(noBases, store, { batchSize: 0 }), RangeError);
  assert.throws(() => new Ingestor(noBases, store, { consumer: '' }), TypeError);
  assert.throws(() => new Ingestor({} as FakeSource, store), TypeError);
});

test('a failing cleanup is reported, not fatal', async () => {
  const store = newStore();
  const src = await FakeSource.create({
    segmentBytes: 500,
    beforeCleanup: () => {
      throw new Error('unlink failed');
    },
  });
  const errors: [unknown, boolean][] = [];
  for (let i = 0; i < 50; i++) src.append(encodeAssertion(assertion(i)));
  const r = await newIngestor(src, store, { cleanup: { intervalMs: 0 }, batchSize: 10, onError: (e, f) => errors.push([e, f]) }).catchUp();
  assert.is(r.assertions, 50);
  assert.ok(errors.length > 0 && errors.every(([e, fatal]) => String(e).includes('unlink failed') && !fatal));
});

test('a cursor below the journal start is a CURSOR_GAP, not a silent skip', async () => {
  const src = await FakeSource.create({ segmentBytes: 500 });
  const store = newStore();
  for (let i = 0; i < 40; i++) src.append(encodeAssertion(assertion(i)));
  const slow = newIngestor(src, store, { consumer: 'slow', batchSize: 5 });
  src.failAfter = 5;
  await slow.catchUp().catch(() => undefined); // one batch, then "crash"
  assert.is(store.cursor('slow'), src.records[5]!.offset);
  // A consumer of the same store never cleans up past it...
  await newIngestor(src, store, { cleanup: { intervalMs: 0 } }).catchUp();
  assert.ok(src.firstOffset <= store.cursor('slow')! && src.firstOffset > 0, `first offset ${src.firstOffset}`);
  // ...but one whose cursors live in another store cannot know about it.
  await newIngestor(src, newStore(), { cleanup: { intervalMs: 0 } }).catchUp();
  assert.ok(src.firstOffset > store.cursor('slow')!);
  await slow.catchUp().then(
    () => assert.unreachable('should refuse'),
    (e: unknown) => assert.ok(e instanceof IngestError && e.code === 'CURSOR_GAP', String(e)),
  );
});

test('throughput smoke: 100k assertions through the ingestor', async () => {
  const src = await FakeSource.create();
  const store = newStore();
  const total = 100_000;
  for (let i = 0; i < total; i++) {
    src.append(encodeAssertion(assertion(i, { subject: `entity:${i % 5000}`, object: i % 2 ? i : `v${i}` })));
  }
  const t0 = performance.now();
  const r = await newIngestor(src, store).catchUp();
  const ms = performance.now() - t0;
  assert.is(r.assertions, total);
  console.log(`\n  ingest: ${total} assertions in ${ms.toFixed(0)} ms = ${Math.round((total / ms) * 1000)}/s`);
});

test.run();
