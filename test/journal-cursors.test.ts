// Named durable cursors: commit/get/list/delete, argument checks with codes, lag in stats(),
// commits from a reader, and SIGKILLed committers (the file always parses, never goes back,
// never past the durable end, no temporaries after reopen). CURSOR_KILLS sets the kill count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, Ingestor, Store, encodeAssertion } from '../src/index.js';
import { assertion } from './helpers/ingest-fixtures.js';
import { decodeCursor } from '../src/journal/cursors.js';
import { tempDir, payloadFor } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';
import { spawnTs, lines } from './helpers/child.js';
import { rng } from './helpers/vectors.js';
import { SimDisk } from './helpers/sim-disk.js';

test('commit, get, list, delete; the cursor survives a reopen', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    const a = await j.append(payloadFor(1, 100));
    const b = await j.append(payloadFor(2, 100));
    assert.is(j.cursors.get('ingest'), null);
    assert.equal(j.cursors.list(), []);
    const c = await j.cursors.commit('ingest', a.next);
    assert.is(c.offset, b.offset);
    await j.cursors.commit('audit.v2_x-1', 0);
    assert.equal(
      j.cursors.list().map((x) => [x.name, x.offset]),
      [
        ['audit.v2_x-1', 0],
        ['ingest', a.next],
      ],
    );
    await j.close();
    const j2 = await Journal.open(dir);
    assert.is(j2.cursors.get('ingest')!.offset, a.next);
    assert.is(await j2.cursors.delete('ingest'), true);
    assert.is(await j2.cursors.delete('ingest'), false);
    assert.is(j2.cursors.get('ingest'), null);
    assert.equal(readdirSync(join(dir, 'cursors')), ['audit.v2_x-1.cursor']);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('bad names, offsets and options are coded errors; nothing is written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 1024 });
    const recs = [];
    for (let i = 0; i < 20; i++) recs.push(await j.append(payloadFor(i, 100)));
    for (const name of ['', '.hidden', '../x', 'a/b', 'a b', 'x'.repeat(65), 'é']) {
      await rejects(j.cursors.commit(name, 0), (e) => e instanceof RangeError && e.code === 'ERR_INVALID_ARG_VALUE', `name ${JSON.stringify(name)}`);
    }
    await rejects(j.cursors.commit(7 as unknown as string, 0), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
    assert.throws(
      () => j.cursors.get('a/b'),
      (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARG_VALUE',
    );
    await rejects(j.cursors.commit('c', -1), (e) => e.code === 'ERR_OUT_OF_RANGE');
    await rejects(j.cursors.commit('c', 1.5), (e) => e instanceof RangeError);
    await rejects(j.cursors.commit('c', j.durableOffset + 1), (e) => e instanceof RangeError && e.code === 'CURSOR_PAST_END');
    await rejects(j.cursors.commit('c', recs[5]!.offset + 1), (e) => e.code === 'NOT_RECORD_START');
    await rejects(j.cursors.commit('c', 0, { allowBackwards: true } as never), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE');
    await rejects(j.cursors.commit('c', 0, { allowBackward: 1 } as never), (e) => e instanceof TypeError);
    assert.equal(j.cursors.list(), []);
    // Boundaries: any record start, a segment base, the durable end.
    await j.cursors.commit('c', recs[5]!.offset);
    await j.cursors.commit('c', j.segmentBases()[2]!);
    await j.cursors.commit('c', j.durableOffset);
    // Backward: refused unless asked for.
    await rejects(j.cursors.commit('c', recs[3]!.offset), (e) => e.code === 'CURSOR_BACKWARD');
    assert.is(j.cursors.get('c')!.offset, j.durableOffset);
    await j.cursors.commit('c', recs[3]!.offset, { allowBackward: true });
    assert.is(j.cursors.get('c')!.offset, recs[3]!.offset);
    // Below the first segment: cleaned.
    await j.cleanup(recs[10]!.offset);
    await rejects(j.cursors.commit('d', 0), (e) => e.code === 'OFFSET_CLEANED');
    await j.close();
  } finally {
    cleanup();
  }
});

test('a damaged cursor file is a CORRUPTION error naming it, not a silent zero', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    const r = await j.append(payloadFor(1, 10));
    await j.cursors.commit('c', r.next);
    const path = join(dir, 'cursors', 'c.cursor');
    const bytes = readFileSync(path);
    bytes[5]! ^= 1;
    writeFileSync(path, bytes);
    assert.throws(
      () => j.cursors.get('c'),
      (e: Error & { code?: string }) => e.code === 'CORRUPTION' && /cursors\/c\.cursor.*crc32c/.test(e.message),
    );
    writeFileSync(path, bytes.subarray(0, 20));
    assert.throws(() => j.cursors.get('c'), /20 bytes/);
    assert.throws(
      () => j.cursors.list(),
      (e: Error & { code?: string }) => e.code === 'CORRUPTION',
    );
    await rejects(j.cursors.commit('c', r.next), (e) => e.code === 'CORRUPTION');
    // stats() and retention go on: the damaged cursor shows, at 0, holding everything.
    const [lag] = j.stats().cursors;
    assert.is(lag!.offset, 0);
    assert.match(lag!.damaged!, /20 bytes/);
    // Deleting it (or committing it anew after a delete) is the way out.
    assert.is(await j.cursors.delete('c'), true);
    await j.cursors.commit('c', r.next);
    assert.is(j.stats().cursors[0]!.damaged, null);
    await j.close();
  } finally {
    cleanup();
  }
});

test('stats().cursors: lag in bytes and records, exact across whole segments', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    const recs = [];
    for (let i = 0; i < 100; i++) recs.push(await j.append(payloadFor(i, 60 + (i % 7) * 10)));
    await j.cursors.commit('end', j.durableOffset);
    await j.cursors.commit('start', 0);
    const bases = j.segmentBases();
    const mid = recs.findIndex((r) => r.offset === bases[3]);
    await j.cursors.commit('mid', bases[3]!); // a segment base: the count is exact
    await j.cursors.commit('inside', recs[mid + 2]!.offset); // inside a segment: within that segment's count
    await j.applyRetention(); // waits for the ledger of the sealed segments
    const lag = Object.fromEntries(j.stats().cursors.map((c) => [c.name, c]));
    assert.is(lag.end!.lagBytes, 0);
    assert.is(lag.end!.lagRecords, 0);
    assert.is(lag.start!.lagBytes, j.durableOffset);
    assert.is(lag.start!.lagRecords, 100);
    assert.is(lag.mid!.lagRecords, 100 - mid);
    assert.is(lag.mid!.lagBytes, j.durableOffset - bases[3]!);
    const segRecords = j.sealedSegments().find((s) => s.base === bases[3])!.records;
    assert.ok(Math.abs(lag.inside!.lagRecords - (100 - mid - 2)) < segRecords, `${lag.inside!.lagRecords} vs ${100 - mid - 2}`);
    assert.is(lag.start!.cleaned, false);
    // More appends to the active segment are counted incrementally.
    for (let i = 0; i < 5; i++) await j.append(payloadFor(i, 10));
    assert.is(j.stats().cursors.find((c) => c.name === 'start')!.lagRecords, 105);
    await j.close();
  } finally {
    cleanup();
  }
});

test('a reader beside the writer commits cursors the writer sees; it cannot pass the durable end', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    const a = await j.append(payloadFor(1, 100));
    const reader = await Journal.openReader(dir);
    await reader.cursors.commit('follower', a.next);
    assert.is(j.cursors.get('follower')!.offset, a.next);
    assert.is(j.stats().cursors[0]!.name, 'follower');
    await rejects(reader.cursors.commit('follower', a.next + 40), (e) => e.code === 'CURSOR_PAST_END');
    await rejects(reader.cursors.commit('follower', 1), (e) => e.code === 'NOT_RECORD_START');
    await reader.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test('a crash (simulated power loss) during commits leaves the old or the new cursor, never a torn one', async () => {
  let tempsLeft = 0;
  let interrupted = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const disk = new SimDisk({ seed });
    disk.mkdirp('/j');
    const j = await Journal.open('/j', { io: disk.process(), syncIntervalMs: 0 });
    const offsets = [0];
    for (let i = 0; i < 8; i++) offsets.push((await j.append(payloadFor(i, 30))).next);
    await j.cursors.commit('c', offsets[1]!);
    const committed = [offsets[1]!];
    disk.crashAfterOps(1 + (seed % 9), seed % 2 ? 'crash' : 'kill');
    void (async () => {
      for (let k = 2; k < offsets.length; k++) {
        await j.cursors.commit('c', offsets[k]!);
        committed.push(offsets[k]!);
      }
    })().catch(() => {});
    await disk.whenCrashed();
    const io2 = disk.process();
    if (io2.readdir('/j/cursors').some((n) => n.endsWith('.tmp'))) tempsLeft++;
    if (committed.length < offsets.length - 1) interrupted++;
    const j2 = await Journal.open('/j', { io: io2, syncIntervalMs: 0 });
    const c = j2.cursors.get('c');
    const last = committed[committed.length - 1]!;
    assert.ok(c !== null, `seed ${seed}: the cursor is there`);
    assert.ok(c!.offset >= last, `seed ${seed}: cursor ${c!.offset} went back below the acknowledged ${last}`);
    assert.ok(c!.offset <= j2.durableOffset, `seed ${seed}: cursor past the durable end`);
    assert.ok(offsets.includes(c!.offset), `seed ${seed}: cursor at a committed offset`);
    assert.equal(
      io2.readdir('/j/cursors').filter((n) => n.endsWith('.tmp')),
      [],
      `seed ${seed}: temporaries removed at open`,
    );
    await j2.close();
  }
  assert.ok(interrupted >= 20 && tempsLeft >= 3, `crashes fell inside commits (${interrupted} interrupted, ${tempsLeft} left a temporary)`);
});

test('Ingestor journalCursor: the store cursor is mirrored into the journal after each commit; retention waits for it', async () => {
  const { dir, cleanup } = tempDir();
  const store = Store.open(join(dir, 'store.db'));
  try {
    const j = await Journal.open(join(dir, 'wal'), { segmentBytes: 2048, retain: { maxBytes: 4096 } });
    await rejects(
      async () => new Ingestor(j, store, { journalCursor: 'bad name' }),
      (e) => e instanceof RangeError && e.code === 'ERR_INVALID_ARG_VALUE',
    );
    const noCursors = { iterate: j.iterate.bind(j), follow: j.follow.bind(j), firstOffset: 0 };
    await rejects(
      async () => new Ingestor(noCursors, store, { journalCursor: 'sqlite' }),
      (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE',
    );
    const ing = new Ingestor(j, store, { consumer: 'main', journalCursor: 'sqlite', batchSize: 7 });
    await ing.catchUp();
    assert.is(j.cursors.get('sqlite')!.offset, 0, 'registered at its start before any record');
    for (let i = 0; i < 60; i++) await j.append(encodeAssertion(assertion(i)));
    await j.applyRetention();
    assert.is(j.firstOffset, 0, 'the consumer has read nothing: retention keeps everything');
    assert.equal(j.stats().retention!.heldBy, { kind: 'cursor', name: 'sqlite', offset: 0 });
    await ing.catchUp();
    assert.is(j.cursors.get('sqlite')!.offset, store.cursor('main'));
    assert.is(j.cursors.get('sqlite')!.offset, j.durableOffset);
    await j.applyRetention();
    assert.ok(j.firstOffset > 0, 'retention goes on once the consumer has read');
    assert.is(j.stats().cursors[0]!.lagRecords, 0);
    await j.close();
  } finally {
    store.close();
    cleanup();
  }
});

test('simulated disk: a failed write of a cursor rejects that commit only; a failed directory fsync rejects every later one until reopen', async () => {
  const disk = new SimDisk({ seed: 2 });
  disk.mkdirp('/f');
  const j = await Journal.open('/f', { io: disk.process(), syncIntervalMs: 0 });
  const a = await j.append(payloadFor(1, 10));
  const b = await j.append(payloadFor(2, 10));
  await j.cursors.commit('c', 0);
  disk.failNext({ op: 'write', code: 'ENOSPC', path: /cursors/ });
  await rejects(j.cursors.commit('c', a.next), (e) => e.code === 'ENOSPC');
  assert.is(j.cursors.get('c')!.offset, 0, 'the old value stays');
  await j.cursors.commit('c', a.next); // a fresh temporary: fine
  disk.failNext({ op: 'fsyncDir', code: 'EIO', path: /cursors/ });
  await rejects(j.cursors.commit('c', b.next), (e) => e.code === 'EIO');
  await rejects(j.cursors.commit('c', b.next), (e) => e.code === 'EIO', 'sticky: a later fsync could falsely succeed');
  await rejects(j.cursors.delete('c'), (e) => e.code === 'EIO');
  assert.is(j.stats().failed, null, 'the journal itself goes on');
  await j.append(payloadFor(3, 10));
  await j.close();
  const io = disk.process();
  const j2 = await Journal.open('/f', { io, syncIntervalMs: 0 });
  await j2.cursors.commit('c', b.next);
  assert.is(j2.cursors.get('c')!.offset, b.next);
  assert.equal(
    io.readdir('/f/cursors').filter((n) => n.endsWith('.tmp')),
    [],
  );
  await j2.close();
});

const kills = Number(process.env.CURSOR_KILLS ?? 6);
const seed = Number(process.env.KILL_SEED ?? Date.now() % 100000);

for (const mode of ['writer', 'reader'] as const) {
  test(`${kills} SIGKILLs of a ${mode} committing cursors: parses, never backward, never past the durable end (seed ${seed})`, async () => {
    const { dir, cleanup } = tempDir();
    const next = rng(seed + (mode === 'reader' ? 1 : 0));
    const name = mode === 'writer' ? 'c' : 'r';
    const file = join(dir, 'cursors', `${name}.cursor`);
    let acked = 0;
    let commits = 0;
    let writer: ReturnType<typeof spawnTs> | null = null;
    try {
      if (mode === 'reader') {
        writer = spawnTs('child-writer.ts', [dir, 'group', '4', String(16 * 1024)]);
        await new Promise<void>((resolve) => lines(writer!, (l) => l.startsWith('ack 50 ') && resolve()));
      }
      for (let k = 0; k < kills; k++) {
        const child = spawnTs('child-cursor.ts', [dir, mode]);
        let timer: NodeJS.Timeout | undefined;
        const safety = setTimeout(() => child.kill('SIGKILL'), 30_000); // a child that never commits does not hang the file
        const exit = lines(child, (l) => {
          const m = /^commit (\d+)$/.exec(l);
          // At a random instant of the commit loop (counted from its first commit: a loaded machine
          // may take long to start the child, and a kill before any commit tests nothing).
          if (m && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(next() * 200));
          if (m) {
            assert.ok(+m[1]! >= acked, 'commits go forward');
            acked = +m[1]!;
            commits++;
          }
        });
        const { signal } = await exit;
        clearTimeout(timer);
        clearTimeout(safety);
        assert.is(signal, 'SIGKILL');
        assert.ok(existsSync(file), `kill ${k}: the cursor file is there after acknowledged commits`);
        const c = decodeCursor(name, readFileSync(file)); // throws if torn
        assert.ok(c.offset >= acked, `kill ${k}: cursor ${c.offset} is below the acknowledged ${acked}`);
        acked = c.offset;
        if (mode === 'writer') {
          const j = await Journal.open(dir, { segmentBytes: 8 * 1024 });
          assert.ok(c.offset <= j.durableOffset, `kill ${k}: cursor ${c.offset} past the durable end ${j.durableOffset}`);
          assert.equal(
            readdirSync(join(dir, 'cursors')).filter((n) => n.includes('.tmp')),
            [],
            'no temporaries after reopen',
          );
          assert.not.ok(
            readdirSync(dir).some((n) => n.includes('.tmp')),
            'no temporaries in the journal directory',
          );
          await j.close();
        } else {
          const reader = await Journal.openReader(dir);
          assert.ok(c.offset <= reader.durableOffset, `kill ${k}: cursor past the durable end`);
          await reader.close();
        }
      }
      assert.ok(commits > kills, `${commits} commits acknowledged across ${kills} kills`);
      console.log(`  ${mode}: ${commits} acknowledged commits across ${kills} kills`);
    } finally {
      writer?.kill('SIGKILL');
      if (writer) await new Promise((r) => (writer!.exitCode !== null || writer!.signalCode !== null ? r(null) : writer!.on('exit', r)));
      cleanup();
    }
  });
}

test.run();
