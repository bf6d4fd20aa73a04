// Ingestor readThread (issue 17 item 1): catchUp() with a worker thread reading, verifying and
// scanning the records must leave exactly the tables reading in one thread leaves, throw the same
// errors, fall back to reading in this thread (and say so) when the thread fails or dies, and stop the
// thread when the ingest stops early. The SIGKILL case is in ingest-kill.test.ts.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptionError, Journal, type JournalReader } from '../src/index.js';
import { Ingestor, Store, encodeAssertion } from '../src/ingest/index.js';
import { ScannedRecord } from '../src/ingest/read-thread/scanned.js';
import { readOnThread } from '../src/ingest/read-thread/thread-source.js';
import { FakeSource } from './helpers/ingest-fake-source.js';
import { EPOCH_A, T0, prng, tempDir } from './helpers/ingest-fixtures.js';
import { buildPayloads, dump } from './helpers/ingest-mixed.js';

const RECORDS = 3000;

/** A closed journal of RECORDS mixed payloads (and some the fast path declines: non-ASCII text), in 64 KiB segments. */
async function mixedJournal(dir: string): Promise<number> {
  const payloads = buildPayloads(prng(17), RECORDS);
  for (let i = 0; i < 40; i++) {
    payloads.splice(
      i * 70,
      0,
      encodeAssertion({ subject: `süd ${i}`, predicate: 'p', object: `ö${i}`, epoch: EPOCH_A, author: 'a', confidence: 1, createdAt: T0 + i }),
    );
  }
  const j = await Journal.open(dir, { durability: 'none', syncIntervalMs: 0, segmentBytes: 64 * 1024 });
  for (let i = 0; i < payloads.length; i += 500) await j.appendBatch(payloads.slice(i, i + 500));
  await j.sync();
  const end = j.nextOffset;
  await j.close();
  return end;
}

/** catchUp() of `walDir` into a fresh store; the tables, the error if it failed, and how many records came scanned by the thread. */
async function ingest(walDir: string, dbPath: string, readThread: boolean, batchSize: number) {
  const reader = await Journal.openReader(walDir);
  const store = Store.open(dbPath);
  let scanned = 0;
  let records = 0;
  const prepare = store.prepareBatch.bind(store);
  store.prepareBatch = (recs) => {
    records += recs.length;
    for (const r of recs) if (r instanceof ScannedRecord) scanned++;
    return prepare(recs);
  };
  const notices: string[] = [];
  const ingestor = new Ingestor(reader, store, { readThread, batchSize, onError: (err, fatal) => notices.push(`${fatal} ${(err as Error).message}`) });
  let error: unknown;
  try {
    await ingestor.catchUp();
  } catch (err) {
    error = err;
  }
  const tables = dump(store.db);
  const cursor = store.cursor();
  reader.close();
  store.close();
  return { tables, error, cursor, scanned, records, notices };
}

test('readThread: the same tables as reading in this thread, every record scanned by the thread', async () => {
  const tmp = tempDir('stemedb-read-thread-');
  try {
    const walDir = tmp.file('wal');
    const end = await mixedJournal(walDir);
    for (const batchSize of [1, 257, 100_000]) {
      const one = await ingest(walDir, tmp.file(`one-${batchSize}.db`), false, batchSize);
      const two = await ingest(walDir, tmp.file(`two-${batchSize}.db`), true, batchSize);
      assert.is(one.error, undefined);
      assert.is(two.error, undefined);
      assert.is(two.cursor, end);
      assert.equal(two.tables, one.tables, `batchSize ${batchSize}`);
      assert.ok(one.tables.assertions!.length > 1000 && one.tables.dead_letters!.length > 0 && one.tables.votes!.length > 0);
      assert.is(one.scanned, 0);
      assert.is(two.scanned, two.records, `batchSize ${batchSize}: every record came through the thread`);
      assert.equal(two.notices, []);
    }
  } finally {
    tmp.remove();
  }
});

test('readThread: a corrupt record stops both ways at the same record with the same error', async () => {
  const tmp = tempDir('stemedb-read-thread-');
  try {
    const walDir = tmp.file('wal');
    await mixedJournal(walDir);
    const segments = readdirSync(walDir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    assert.ok(segments.length >= 4, `${segments.length} segments`);
    // A byte in the middle of the third segment: a payload or header byte of some record there.
    const victim = join(walDir, segments[2]!);
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1]! ^= 0x40;
    writeFileSync(victim, bytes);
    const one = await ingest(walDir, tmp.file('one.db'), false, 100);
    const two = await ingest(walDir, tmp.file('two.db'), true, 100);
    assert.instance(one.error, CorruptionError);
    assert.instance(two.error, CorruptionError);
    assert.is((two.error as Error).message, (one.error as Error).message);
    assert.is(two.cursor, one.cursor);
    assert.equal(two.tables, one.tables);
    // The thread's stop is reported (not fatal: reading went on here, which met the error itself).
    assert.is(two.notices.length, 1, two.notices.join('\n'));
    assert.match(two.notices[0]!, /^false read thread stopped at offset \d+: .*reading on in this thread/);
  } finally {
    tmp.remove();
  }
});

test('readOnThread: a thread that cannot read falls back to this thread and says so', async () => {
  const tmp = tempDir('stemedb-read-thread-');
  try {
    const walDir = tmp.file('wal');
    const end = await mixedJournal(walDir);
    const reader = await Journal.openReader(walDir);
    const failures: Error[] = [];
    let count = 0;
    let last = -1;
    for await (const recs of readOnThread(reader, { from: reader.firstOffset }, 500, (e) => failures.push(e), tmp.file('no-journal-here'))) {
      count += recs.length;
      last = recs[recs.length - 1]!.next;
    }
    reader.close();
    assert.is(count, RECORDS + 40);
    assert.is(last, end);
    assert.is(failures.length, 1);
    assert.match(failures[0]!.message, /read thread stopped at offset \d+: .*no journal/i);
  } finally {
    tmp.remove();
  }
});

/** Open descriptors of this process (Linux: /proc/self/fd), or null. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

test('readOnThread: leaving early stops the thread, which closes its reader', async () => {
  const tmp = tempDir('stemedb-read-thread-');
  try {
    const walDir = tmp.file('wal');
    await mixedJournal(walDir);
    const reader: JournalReader = await Journal.openReader(walDir);
    const before = openFds();
    let arrays = 0;
    for await (const recs of readOnThread(reader, { from: reader.firstOffset }, 100, (e) => assert.unreachable(e.message))) {
      assert.is(recs.length, 100);
      if (++arrays === 2) break; // the thread is ahead, mid-journal, with segments open
    }
    // The generator's return() waited for the thread to close its reader and exit.
    if (before !== null) assert.is(openFds(), before);
    reader.close();
  } finally {
    tmp.remove();
  }
});

/**
 * readOnThread() with the thread made to die after its first buffer: `kill` replaces the
 * owning thread's second credit message (Worker.prototype.postMessage, patched for the call).
 */
async function readWithDeath(kill: (worker: Worker, post: (m: unknown) => void) => void) {
  const tmp = tempDir('stemedb-read-thread-');
  const original = Worker.prototype.postMessage;
  try {
    const walDir = tmp.file('wal');
    const end = await mixedJournal(walDir);
    const reader = await Journal.openReader(walDir);
    const before = openFds();
    let credits = 0;
    Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: unknown[]) {
      const post = (x: unknown) => original.call(this, x, ...(rest as []));
      if ((m as { type?: string }).type === 'more' && ++credits === 2) return kill(this, post);
      return post(m);
    };
    const failures: Error[] = [];
    const offsets: number[] = [];
    let last = reader.firstOffset;
    for await (const recs of readOnThread(reader, { from: reader.firstOffset }, 100, (e) => failures.push(e))) {
      for (const r of recs) {
        assert.is(r.offset, last, 'each record once, in order, none skipped');
        offsets.push(r.offset);
        last = r.next;
      }
    }
    const after = openFds();
    reader.close();
    return { end, last, count: offsets.length, failures, fdsBefore: before, fdsAfter: after };
  } finally {
    Worker.prototype.postMessage = original;
    tmp.remove();
  }
}

test('readOnThread: a thread that dies mid-read (terminated, or an uncaught error) falls back from the first record it did not deliver', async () => {
  const terminated = await readWithDeath((worker) => void worker.terminate());
  const crashed = await readWithDeath((_worker, post) => post(null)); // its message handler reads null.type and throws
  for (const [name, r, why] of [
    ['terminated', terminated, /exited \(code 1\) before the end/],
    ['uncaught error', crashed, /Cannot read properties of null/],
  ] as const) {
    assert.is(r.count, RECORDS + 40, name);
    assert.is(r.last, r.end, name);
    assert.is(r.failures.length, 1, `${name}: ${r.failures.map((e) => e.message).join('; ')}`);
    assert.match(r.failures[0]!.message, /^read thread stopped at offset \d+: /, name);
    assert.match(r.failures[0]!.message, why, name);
    assert.ok(!/stopped at offset 0:/.test(r.failures[0]!.message), `${name}: it died after delivering records`);
    if (r.fdsBefore !== null) assert.is(r.fdsAfter, r.fdsBefore, `${name}: the dead thread's descriptors are closed`);
  }
});

test('readThread: argument checks', async () => {
  const tmp = tempDir('stemedb-read-thread-');
  try {
    const walDir = tmp.file('wal');
    const writer = await Journal.open(walDir);
    await writer.append(new Uint8Array(3));
    const store = Store.open(tmp.file('db'));
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        assert.instance(err, TypeError, String(err));
        return (err as { code?: string }).code;
      }
      return undefined;
    };
    assert.is(
      code(() => new Ingestor(writer, store, { readThread: 1 as unknown as boolean })),
      'ERR_INVALID_ARG_TYPE',
    );
    // Only a reader from Journal.openReader: the thread opens its own reader of the directory.
    assert.is(
      code(() => new Ingestor(writer, store, { readThread: true })),
      'ERR_INVALID_ARG_VALUE',
    );
    const fake = await FakeSource.create();
    assert.is(
      code(() => new Ingestor(fake, store, { readThread: true })),
      'ERR_INVALID_ARG_VALUE',
    );
    const reader = await Journal.openReader(walDir);
    assert.is(
      code(() => new Ingestor(reader, store, { readThread: true })),
      undefined,
    );
    assert.is(
      code(() => new Ingestor(reader, store, { readThread: false })),
      undefined,
    );
    reader.close();
    await writer.close();
    store.close();
  } finally {
    tmp.remove();
  }
});

test.run();
