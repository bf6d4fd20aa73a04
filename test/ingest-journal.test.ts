// The ingestor against the REAL journal: in the writer's process (source = the Journal) and in a
// separate process (Journal.openReader + follow, in a child that ingests while this process appends),
// and cursor-based cleanup over many small segments.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal, blake3, type AppendResult } from '../src/index.js';
import { Ingestor, Store, encodeAssertion, encodeEpoch, encodeVote, type IngestorOptions, type IngestSource } from '../src/ingest/index.js';
import { spawnTs } from './helpers/child.js';
import { watch } from './helpers/child-ingest-watch.js';
import { EPOCH_A, EPOCH_B, T0, assertion, epoch, hex, plain, prng, tempDir, vote } from './helpers/ingest-fixtures.js';
import { within } from './helpers/assert.js';

const tmp = tempDir('stemedb-ingest-journal-');
const journals: Journal[] = [];
const stores: Store[] = [];
const running: Ingestor[] = [];
let n = 0;

async function newJournal(options: Parameters<typeof Journal.open>[1] = {}): Promise<Journal> {
  const j = await Journal.open(tmp.file(`wal${n++}`), options);
  journals.push(j);
  return j;
}

function newStore(path = tmp.file(`s${n++}.db`)): Store {
  const s = Store.open(path);
  stores.push(s);
  return s;
}

function newIngestor(source: IngestSource, store: Store, options?: IngestorOptions): Ingestor {
  const ing = new Ingestor(source, store, options);
  running.push(ing);
  return ing;
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => /^\d{20}\.wal$/.test(f)).sort(); // prettier-ignore

test.after.each(async () => {
  for (const ing of running.splice(0)) await ing.stop().catch(() => undefined);
});

test.after(async () => {
  for (const s of stores) s.close();
  for (const j of journals) await j.close().catch(() => undefined);
  tmp.remove();
});

// ---------------------------------------------------------------------------------

test('each record type round-trips journal -> SQLite; keys are the journal hashes', async () => {
  const j = await newJournal();
  const store = newStore();
  const objects = ['a string', 42, -1.5, true, false, new Uint8Array([0, 7, 255])];
  const as = objects.map((object, i) => assertion(i, { object, evidence: i % 2 ? [`https://x.example/${i}`, 'doi:10.1/x'] : undefined }));
  const ra = await j.appendBatch(as.map(encodeAssertion));
  const v = vote(ra[0]!.hash, 1, { stance: -1, weight: 2.5 });
  const e1 = epoch(EPOCH_A);
  const e2 = epoch(EPOCH_B, { parent: EPOCH_A, description: '' });
  const [rv, re1, re2] = await j.appendBatch([encodeVote(v), encodeEpoch(e1), encodeEpoch(e2)]);

  const ing = newIngestor(j, store);
  const r = await ing.catchUp();
  assert.equal({ ...r }, { records: 9, assertions: 6, votes: 1, epochs: 2, duplicates: 0, deadLetters: 0, skipped: 0, batches: 1, cursor: j.nextOffset });
  assert.is(store.cursor(), re2!.next);

  for (let i = 0; i < as.length; i++) {
    const got = store.getAssertion(ra[i]!.hash);
    assert.ok(got, `assertion ${i}`);
    assert.equal(plain({ ...got, hash: undefined, offset: undefined }), plain(as[i]), `assertion ${i}`);
    assert.is(got!.offset, ra[i]!.offset);
    assert.is(hex(got!.hash), hex(blake3(encodeAssertion(as[i]!))), 'content key = BLAKE3 of the payload');
  }
  assert.is(typeof store.getAssertion(ra[3]!.hash)!.object, 'boolean');
  const [gv] = store.votesFor(ra[0]!.hash);
  assert.equal(plain({ ...gv, hash: undefined, offset: undefined }), plain(v));
  assert.is(hex(gv!.hash), hex(rv!.hash));
  assert.is(gv!.offset, rv!.offset);
  assert.equal(plain({ ...store.getEpoch(EPOCH_A), hash: undefined, offset: undefined }), plain(e1));
  assert.equal(plain({ ...store.getEpoch(EPOCH_B), hash: undefined, offset: undefined }), plain(e2));
  assert.is(store.getEpoch(EPOCH_B)!.offset, re2!.offset);
  assert.is(hex(store.getEpoch(EPOCH_A)!.hash), hex(re1!.hash));
  assert.equal(store.tally(ra[0]!.hash), { support: 0, oppose: 2.5, score: -2.5, votes: 1 });
  assert.is(store.assertionsInEpoch(EPOCH_A).length, 6);

  // Appends after a catch-up are picked up by the next one, and only they.
  const [late] = await j.appendBatch([encodeAssertion(assertion(100))]);
  const r2 = await ing.catchUp();
  assert.is(r2.records, 1);
  assert.is(r2.assertions, 1);
  assert.is(store.getAssertion(late!.hash)!.offset, late!.offset);
  assert.is((await ing.catchUp()).records, 0);
});

test('duplicates collapse: the same payload appended again, a replay, a second consumer', async () => {
  const j = await newJournal();
  const store = newStore();
  const p = encodeAssertion(assertion(1));
  const pv = encodeVote(vote(blake3(p), 1));
  const pe = encodeEpoch(epoch());
  const first = await j.appendBatch([p, pv, pe, p]);
  await j.append(p); // separate group commit, same bytes
  await j.appendBatch([pv, pe]);
  const r = await newIngestor(j, store, { batchSize: 3 }).catchUp();
  assert.equal([r.assertions, r.votes, r.epochs, r.duplicates, r.deadLetters], [1, 1, 1, 4, 0]);
  assert.equal(store.counts(), { assertions: 1, votes: 1, epochs: 1, deadLetters: 0 });
  assert.is(store.getAssertion(first[0]!.hash)!.offset, first[0]!.offset, 'the first occurrence is the one kept');
  assert.is(store.tally(first[0]!.hash)!.votes, 1);

  // Replaying the whole journal (a second consumer on the same tables) adds nothing.
  const mirror = await newIngestor(j, store, { consumer: 'mirror' }).catchUp();
  assert.is(mirror.duplicates, 7);
  assert.equal(store.counts(), { assertions: 1, votes: 1, epochs: 1, deadLetters: 0 });
  // prettier-ignore
  assert.equal(store.cursors().map((c) => [c.consumer, c.next]), [['default', j.nextOffset], ['mirror', j.nextOffset]]);
});

test('a subject with many assertions lists them all, across batches and group commits', async () => {
  const j = await newJournal({ segmentBytes: 64 * 1024 });
  const store = newStore();
  const total = 3000;
  const rand = prng(7);
  const hot = new Set<string>();
  const pending: Array<Promise<AppendResult[]>> = [];
  for (let i = 0; i < total; i += 100) {
    const batch = [];
    for (let k = i; k < i + 100; k++) {
      // Same createdAt for runs of records: the page order falls back to the hash.
      batch.push(encodeAssertion(assertion(k, { subject: k % 4 === 0 ? 'other' : 'hot', createdAt: T0 + Math.floor(rand() * 500), object: k })));
    }
    pending.push(j.appendBatch(batch));
  }
  const results = (await Promise.all(pending)).flat();
  results.forEach((res, k) => {
    if (k % 4 !== 0) hot.add(hex(res.hash));
  });
  assert.ok(j.stats().segments > 3, 'spans several segments');
  const r = await newIngestor(j, store, { batchSize: 251 }).catchUp();
  assert.is(r.assertions, total);
  assert.is(r.batches, Math.ceil(total / 251));

  const seen: string[] = [];
  let prev: { createdAt: number; hash: string } | undefined;
  let after: Uint8Array | undefined;
  for (;;) {
    const page = store.assertionsBySubject('hot', { limit: 97, after });
    for (const a of page) {
      const key = { createdAt: a.createdAt, hash: hex(a.hash) };
      if (prev) assert.ok(prev.createdAt < key.createdAt || (prev.createdAt === key.createdAt && prev.hash < key.hash), 'pages in (createdAt, hash) order');
      prev = key;
      seen.push(key.hash);
    }
    if (page.length < 97) break;
    after = page[page.length - 1]!.hash;
  }
  assert.is(seen.length, hot.size);
  assert.equal(new Set(seen), hot);
  assert.is(store.assertionsBySubject('other', { limit: 10_000 }).length, total / 4);
});

test('votes that arrive before their assertion are kept and counted once it arrives', async () => {
  const j = await newJournal();
  const store = newStore();
  const a = encodeAssertion(assertion(1));
  const h = blake3(a);
  await j.appendBatch([encodeVote(vote(h, 1, { weight: 2 })), encodeVote(vote(h, 2, { stance: -1, weight: 0.5 }))]);
  const ing = newIngestor(j, store);
  await ing.catchUp();
  assert.is(store.votesFor(h).length, 2);
  assert.is(store.tally(h), null, 'no tally while the assertion is missing');
  const ra = await j.append(a);
  assert.is(hex(ra.hash), hex(h));
  await ing.catchUp();
  assert.equal(store.tally(h), { support: 2, oppose: 0.5, score: 1.5, votes: 2 });
  await j.append(encodeVote(vote(h, 3, { weight: 1, createdAt: T0 + 10 })));
  await j.append(encodeVote(vote(h, 1, { weight: 4, stance: -1, createdAt: T0 + 20 }))); // voter-1 changes their mind
  await ing.catchUp();
  assert.equal(store.tally(h), { support: 3, oppose: 4.5, score: -1.5, votes: 4 });
  assert.equal(store.tally(h, { perVoter: 'latest' }), { support: 1, oppose: 4.5, score: -3.5, votes: 3 });
});

test('malformed payloads land in dead_letters with offset, code and bytes; ingestion goes on', async () => {
  const j = await newJournal();
  const store = newStore();
  const good1 = await j.append(encodeAssertion(assertion(1)));
  const badPayloads = [
    Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0, 0x90]), // unknown type
    Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0, 0x90]), // padding
    encodeAssertion(assertion(2)).subarray(0, 20), // truncated
    new Uint8Array(0), // empty
    Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0x93, 1, 2, 3]), // vote with the wrong fields
    Uint8Array.from([...encodeAssertion(assertion(3)), 0xc0]), // a byte after the body
    Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xc7, 0x01, 0x05, 0x00]), // not MessagePack (unknown extension)
  ];
  const bad = await j.appendBatch(badPayloads);
  const conflict = await j.appendBatch([encodeEpoch(epoch(EPOCH_A)), encodeEpoch(epoch(EPOCH_A, { name: 'another' }))]);
  const good2 = await j.append(encodeAssertion(assertion(4)));
  const r = await newIngestor(j, store, { batchSize: 2 }).catchUp();
  assert.is(r.deadLetters, 8);
  assert.is(r.assertions, 2);
  assert.is(r.epochs, 1);
  assert.ok(store.getAssertion(good1.hash) && store.getAssertion(good2.hash));
  const dead = store.deadLetters();
  // prettier-ignore
  assert.equal(dead.map((d) => [d.offset, d.code]), [
    [bad[0]!.offset, 'UNKNOWN_TYPE'],
    [bad[1]!.offset, 'BAD_PADDING'],
    [bad[2]!.offset, 'TRUNCATED'],
    [bad[3]!.offset, 'TRUNCATED'],
    [bad[4]!.offset, 'BAD_FIELD'],
    [bad[5]!.offset, 'OVERSIZED'],
    [bad[6]!.offset, 'MALFORMED'],
    [conflict[1]!.offset, 'EPOCH_CONFLICT'],
  ]);
  for (let i = 0; i < badPayloads.length; i++) {
    assert.is(hex(dead[i]!.payload), hex(badPayloads[i]!), `payload ${i} kept as appended`);
    assert.is(hex(dead[i]!.hash), hex(bad[i]!.hash), `hash ${i} is the journal's`);
    assert.ok(dead[i]!.reason.length > 0);
  }
  assert.is(store.getEpoch(EPOCH_A)!.name, 'modern physics', 'the first definition wins');
  assert.is(store.cursor(), good2.next);
});

test('in the writer process: start() follows the Journal while it appends; waitFor is read-your-writes', async () => {
  const j = await newJournal({ segmentBytes: 16 * 1024 });
  const store = newStore();
  const ing = newIngestor(j, store, { batchSize: 50, maxLatencyMs: 2 });
  ing.start();
  let last: AppendResult | undefined;
  const hashes: Uint8Array[] = [];
  for (let round = 0; round < 20; round++) {
    // Single appends and batches, some appended while a commit may be running.
    if (round % 3 === 0) {
      last = await j.append(encodeAssertion(assertion(round * 1000, { subject: 'live' })));
      hashes.push(last.hash);
    } else {
      const rs = await j.appendBatch(Array.from({ length: 37 }, (_, k) => encodeAssertion(assertion(round * 1000 + k + 1, { subject: 'live' }))));
      hashes.push(...rs.map((x) => x.hash));
      last = rs[rs.length - 1]!;
    }
    if (round % 4 === 0) {
      await within(ing.waitFor(last.next), 10_000, `waitFor round ${round}`);
      assert.ok(store.getAssertion(last.hash), 'visible right after waitFor');
    }
  }
  await within(ing.waitFor(last!.next), 10_000, 'waitFor the end');
  const stats = await ing.stop();
  assert.is(stats.assertions, hashes.length);
  assert.is(stats.cursor, j.nextOffset);
  assert.is(store.assertionsBySubject('live', { limit: 10_000 }).length, hashes.length);
  assert.ok(hashes.every((h) => store.getAssertion(h)));
});

test('in a separate process: a child follows with Journal.openReader while this process appends', async () => {
  const j = await newJournal({ segmentBytes: 32 * 1024 });
  const dbPath = tmp.file(`child${n++}.db`);
  Store.open(dbPath).close(); // create + migrate, so the readonly view below can open it
  const child = watch(spawnTs('child-ingest.ts', [j.dir, dbPath, 'follow', '64', '2'], {}, 'pipe'));
  try {
    await child.waitFor(/^ready \d+$/, 30_000);
    const view = Store.open(dbPath, { readonly: true }); // a reader beside the ingesting process
    stores.push(view);
    const rand = prng(11);
    const expected = new Map<string, number>(); // assertion hash -> offset of first occurrence
    let votes = 0;
    let lastSeenCount = 0;
    for (let round = 0; round < 25; round++) {
      const payloads: Uint8Array[] = [];
      const size = 1 + Math.floor(rand() * 60);
      for (let k = 0; k < size; k++) payloads.push(encodeAssertion(assertion(round * 100 + k, { subject: `s${k % 7}` })));
      if (round > 0 && round % 5 === 0) payloads.push(payloads[0]!); // a duplicate within the batch
      const rs = await j.appendBatch(payloads);
      for (const x of rs) if (!expected.has(hex(x.hash))) expected.set(hex(x.hash), x.offset);
      await j.append(encodeVote(vote(rs[0]!.hash, round)));
      votes++;
      if (round % 6 === 5) {
        // The child's commits become visible here while it keeps going.
        await within(waitForCursor(child, j.nextOffset), 20_000, `child reaches ${j.nextOffset}`);
        const c = view.counts().assertions;
        assert.ok(c > lastSeenCount, 'counts grow while the child ingests');
        lastSeenCount = c;
      }
      if (rand() < 0.5) await new Promise((r) => setTimeout(r, Math.floor(rand() * 15)));
    }
    const end = j.nextOffset;
    await within(waitForCursor(child, end), 20_000, `child cursor reaches ${end}`);
    // Windows ends a child on kill('SIGTERM') without running its handler: ask on stdin there.
    if (process.platform === 'win32') child.child.stdin!.write('stop\n');
    else child.child.kill('SIGTERM');
    const stopped = await child.waitFor(/^stopped (.*)$/, 20_000);
    const stats = JSON.parse(stopped[1]!) as { assertions: number; votes: number; cursor: number };
    const exit = await child.exited;
    assert.equal(exit, { code: 0, signal: null });
    assert.is(stats.cursor, end);
    assert.is(stats.assertions, expected.size);
    assert.is(stats.votes, votes);

    assert.is(view.cursor(), end);
    assert.equal(view.counts(), { assertions: expected.size, votes, epochs: 0, deadLetters: 0 });
    for (const [h, offset] of expected) assert.is(view.getAssertion(h)?.offset, offset, `assertion ${h.slice(0, 12)}`);
  } finally {
    if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
});

/** Resolves once the child has printed a batch line with cursor >= offset. */
function waitForCursor(child: ReturnType<typeof watch>, offset: number): Promise<void> {
  const reached = () =>
    child.lines.some((l) => {
      const m = /^batch (\d+) /.exec(l);
      return m !== null && Number(m[1]) >= offset;
    });
  if (reached()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    child.onLine(() => {
      if (reached()) resolve();
    });
    void child.exited.then(() => reject(new Error('child exited early')));
  });
}

test('cleanup with the real journal never deletes a segment the cursor has not passed', async () => {
  const j = await newJournal({ segmentBytes: 1024 });
  const store = newStore();
  const checks: Array<{ offset: number; removed: number; first: number; cursor: number; synced: number }> = [];
  const problems: string[] = [];
  const ing = newIngestor(j, store, {
    batchSize: 7,
    maxLatencyMs: 1,
    cleanup: { intervalMs: 0 },
    onCleanup: ({ offset, removed }) => {
      const c = store.cursors().find((x) => x.consumer === 'default')!;
      const first = j.firstOffset;
      // Segments are contiguous and named by base offset: the removed ones end where the first
      // remaining one begins, so "nothing past the cursor removed" is first <= the synced cursor.
      if (first > c.synced) problems.push(`first offset ${first} > synced cursor ${c.synced}`);
      if (c.synced > c.next) problems.push(`synced ${c.synced} > next ${c.next}`);
      if (offset > c.synced) problems.push(`cleanup(${offset}) past the synced cursor ${c.synced}`);
      for (const name of removed) if (Number(name.slice(0, 20)) >= first) problems.push(`removed ${name} at or past ${first}`);
      const files = segmentFiles(j.dir);
      if (Number(files[0]!.slice(0, 20)) !== first) problems.push(`first file ${files[0]} != firstOffset ${first}`);
      checks.push({ offset, removed: removed.length, first, cursor: c.next, synced: c.synced });
    },
    onError: (err) => problems.push(`onError: ${String(err)}`),
  });
  ing.start();
  const rand = prng(3);
  const all: AppendResult[] = [];
  for (let round = 0; round < 40; round++) {
    const size = 1 + Math.floor(rand() * 30);
    const payloads = Array.from({ length: size }, (_, k) =>
      encodeAssertion(assertion(round * 100 + k, { subject: 'c', evidence: rand() < 0.3 ? ['x'.repeat(Math.floor(rand() * 200))] : undefined })),
    );
    all.push(...(await j.appendBatch(payloads)));
    if (rand() < 0.3) await new Promise((r) => setTimeout(r, 3));
  }
  const filesBefore = segmentFiles(j.dir).length;
  await within(ing.waitFor(j.nextOffset), 20_000, 'ingest everything');
  await ing.stop();
  assert.equal(problems, []);
  assert.ok(checks.length > 0 && checks.some((c) => c.removed > 0), `cleanups ran and removed segments (${checks.length})`);
  const removedTotal = checks.reduce((a, c) => a + c.removed, 0);
  assert.ok(removedTotal > 20, `many segments removed (${removedTotal}; ${filesBefore} present before the last cleanups)`);
  // Every record made it to SQLite: nothing was deleted before it was ingested.
  assert.is(store.counts().assertions, all.length);
  assert.ok(all.every((r) => store.getAssertion(r.hash)?.offset === r.offset));
  // What is left starts at or below the cursor.
  assert.ok(j.firstOffset <= store.cursor()!);

  // A consumer that lags keeps nothing alive: its next run is a CURSOR_GAP, never a silent skip.
  const lagging = newIngestor(j, store, { consumer: 'late', from: all[0]!.offset });
  await lagging.catchUp().then(
    () => assert.unreachable('should refuse'),
    (e: Error & { code?: string }) => assert.is(e.code, 'CURSOR_GAP'),
  );
});

test('cleanup never passes the slowest consumer in the store (two consumers, one journal)', async () => {
  const j = await newJournal({ segmentBytes: 1024 });
  const store = newStore();
  const payloads = Array.from({ length: 400 }, (_, k) => encodeAssertion(assertion(k)));
  await j.appendBatch(payloads.slice(0, 50));
  // B reads the first 50 records and stops: its cursor is a few segments in.
  const b = newIngestor(j, store, { consumer: 'B', batchSize: 8 });
  assert.is((await b.catchUp()).assertions, 50);
  const bCursor = store.cursor('B')!;
  for (let i = 50; i < payloads.length; i += 50) await j.appendBatch(payloads.slice(i, i + 50));
  assert.ok(j.firstOffset < bCursor);

  // A (with cleanup) reads everything: it may delete only what B has read too.
  const cleanups: { offset: number; removed: string[]; slowest: { consumer: string; next: number } }[] = [];
  const a = newIngestor(j, store, { consumer: 'A', batchSize: 16, cleanup: { intervalMs: 0 }, onCleanup: (c) => cleanups.push(c) });
  const ra = await a.catchUp();
  assert.equal([ra.assertions, ra.duplicates], [payloads.length - 50, 50]);
  assert.is(store.cursor('A'), j.nextOffset);
  assert.ok(cleanups.length > 0 && cleanups.every((c) => c.offset <= bCursor), `cleanup offsets ${cleanups.map((c) => c.offset)} <= B's cursor ${bCursor}`);
  assert.equal(cleanups.at(-1)!.slowest, { consumer: 'B', next: bCursor, journal: 'default' });
  assert.ok(
    cleanups.some((c) => c.removed.length > 0),
    'segments B had passed did go',
  );
  assert.ok(j.firstOffset <= bCursor, `first offset ${j.firstOffset} <= B's cursor ${bCursor}`);

  // B carries on where it stopped: no CURSOR_GAP, nothing missed.
  const rb = await b.catchUp();
  assert.equal([rb.records, rb.duplicates], [payloads.length - 50, payloads.length - 50]);
  assert.is(store.cursor('B'), j.nextOffset);
  // Now that B has caught up, A's next cleanup may go all the way.
  await j.appendBatch(payloads.slice(0, 30).map((_, k) => encodeAssertion(assertion(1000 + k))));
  await a.catchUp();
  assert.ok(j.firstOffset > bCursor, 'cleanup moved on once B did');
  assert.ok(j.firstOffset <= store.cursor('B')!);
});

test('Ingestor({ from }) beyond the end of the journal is a RangeError (writer and reader sources)', async () => {
  const j = await newJournal();
  const store = newStore();
  const [, second] = await j.appendBatch([encodeAssertion(assertion(1)), encodeAssertion(assertion(2))]);
  for (const from of [j.nextOffset + 1, j.nextOffset + 40, 2 ** 40]) {
    assert.throws(
      () => new Ingestor(j, store, { from }),
      (e: unknown) => e instanceof RangeError && /beyond the end of the journal/.test(e.message),
      String(from),
    );
  }
  const reader = await Journal.openReader(j.dir);
  try {
    assert.throws(() => new Ingestor(reader, store, { from: reader.durableOffset + 40 }), RangeError);
    // At the end is fine: such a consumer starts with the next append.
    const ing = newIngestor(reader, store, { from: reader.durableOffset });
    assert.is((await ing.catchUp()).records, 0);
  } finally {
    await reader.close();
  }
  const ing = newIngestor(j, store, { consumer: 'tail', from: j.nextOffset });
  assert.is((await ing.catchUp()).records, 0);
  const third = await j.append(encodeAssertion(assertion(3)));
  assert.is((await ing.catchUp()).assertions, 1);
  assert.is(store.cursor('tail'), third.next);
  assert.is(newIngestor(j, store, { consumer: 'mid', from: second!.offset }).cursor, second!.offset);
});

test('cleanup with retainBytes keeps that much journal below the cursor', async () => {
  const j = await newJournal({ segmentBytes: 1024 });
  const store = newStore();
  const retainBytes = 5000;
  const payloads = Array.from({ length: 400 }, (_, k) => encodeAssertion(assertion(k)));
  for (let i = 0; i < payloads.length; i += 50) await j.appendBatch(payloads.slice(i, i + 50));
  const removed: string[] = [];
  const r = await newIngestor(j, store, { batchSize: 13, cleanup: { retainBytes, intervalMs: 0 }, onCleanup: (c) => removed.push(...c.removed) }).catchUp();
  assert.is(r.assertions, payloads.length);
  assert.ok(removed.length > 10, `removed ${removed.length} segments`);
  const cursor = store.cursor()!;
  assert.ok(j.firstOffset <= cursor - retainBytes, `first ${j.firstOffset}, cursor ${cursor}`);
  assert.ok(j.firstOffset > cursor - retainBytes - 1024 - 200, 'and not much more than that');
  // The retained bytes are still readable.
  let seen = 0;
  for await (const rec of j.iterate({ from: j.firstOffset })) seen += rec.payload.length > 0 ? 1 : 0;
  assert.ok(seen > 0);
  assert.ok(store.cursors()[0]!.synced >= j.firstOffset, 'the synced cursor covers what was removed');
});

test('catchUp on the writer stops at the durable end (durability none: nothing unsynced is ingested)', async () => {
  const j = await newJournal({ durability: 'none', syncIntervalMs: 0 });
  const store = newStore();
  const synced = await j.appendBatch([encodeAssertion(assertion(1)), encodeAssertion(assertion(2))]);
  await j.sync();
  const unsynced = await j.append(encodeAssertion(assertion(3)));
  assert.ok(j.durableOffset < j.nextOffset, 'the last append is written but not synced');
  const ing = newIngestor(j, store);
  const r = await ing.catchUp();
  assert.is(r.assertions, 2);
  assert.is(store.cursor(), synced[1]!.next);
  assert.is(store.getAssertion(unsynced.hash), null);
  await j.sync();
  assert.is((await ing.catchUp()).assertions, 1);
  assert.is(store.cursor(), unsynced.next);
});

// (A Store option rather than a journal matter; here because this file is the one the ingest
// owner may edit: the ingestion speed-up relies on it.)
test('store page size: new files get pageSize (default 16384); existing files keep theirs', () => {
  const a = newStore();
  assert.is(a.db.pragma('page_size', { simple: true }), 16384);
  assert.is(a.db.pragma('wal_autocheckpoint', { simple: true }), 4096, '64 MiB of pages');
  const path = tmp.file(`p${n++}.db`);
  const small = Store.open(path, { pageSize: 4096 });
  assert.is(small.db.pragma('page_size', { simple: true }), 4096);
  small.close();
  const again = newStore(path); // default options: the file already exists
  assert.is(again.db.pragma('page_size', { simple: true }), 4096);
  assert.is(again.db.pragma('wal_autocheckpoint', { simple: true }), 16384, '64 MiB of 4-KiB pages');
  assert.is(Store.open(tmp.file(`q${n++}.db`), { walAutocheckpointPages: 123 }).db.pragma('wal_autocheckpoint', { simple: true }), 123);
  for (const bad of [0, 1000, 131072, 256, 4096.5]) assert.throws(() => Store.open(tmp.file(`bad${n++}.db`), { pageSize: bad }), RangeError);
});

test.run();
