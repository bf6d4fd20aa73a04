// @both-backends — Shipping sealed segments: onSegmentSealed reports each sealed, synced segment (name, base,
// end, records, CRC32C of the file); retain.keepUnshipped keeps segments until markShipped(),
// whose marks survive a restart; a throwing hook only warns; a seal lost to a crash is reported again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, crc32c } from '../src/index.js';
import type { SealedSegmentInfo } from '../src/journal/ledger.js';
import { tempDir, payloadFor } from './helpers/tmp.js';
import { rejects, within } from './helpers/assert.js';
import { SimDisk } from './helpers/sim-disk.js';

const SEG = 4096;

test('onSegmentSealed: each sealed segment once, with its name, range, record count and file CRC32C', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const seen: SealedSegmentInfo[] = [];
    const j = await Journal.open(dir, { segmentBytes: SEG, onSegmentSealed: (info) => void seen.push(info) });
    const recs = [];
    for (let i = 0; i < 120; i++) recs.push(await j.append(payloadFor(i, 100 + (i % 40))));
    await j.applyRetention(); // waits for the maintenance pass in flight
    const bases = j.segmentBases();
    assert.equal(
      seen.map((s) => s.base),
      bases.slice(0, -1),
      'every sealed segment, oldest first, once; not the active one',
    );
    for (const [k, s] of seen.entries()) {
      assert.is(s.name, `${String(s.base).padStart(20, '0')}.wal`);
      assert.is(s.end, bases[k + 1]);
      const file = readFileSync(join(dir, s.name));
      assert.is(s.crc32c, crc32c(file), `${s.name}: CRC32C of the whole file`);
      assert.is(s.bytes, file.length);
      assert.is(s.records, recs.filter((r) => r.offset >= s.base && r.offset < s.end).length);
      assert.is(s.shipped, false);
    }
    assert.equal(j.sealedSegments(), seen);
    await j.close();
    // Reopening reports nothing again: the ledger knows them.
    const again: SealedSegmentInfo[] = [];
    const j2 = await Journal.open(dir, { segmentBytes: SEG, onSegmentSealed: (info) => void again.push(info) });
    await j2.applyRetention();
    assert.equal(again, []);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('the segment is synced when the hook runs: a power loss right then keeps every byte the hook was told of', async () => {
  const disk = new SimDisk({ seed: 5 });
  disk.mkdirp('/s');
  let told: SealedSegmentInfo | null = null;
  const j = await Journal.open('/s', {
    segmentBytes: SEG,
    durability: 'none',
    syncIntervalMs: 0,
    io: disk.process(),
    onSegmentSealed: (info) => {
      if (!told) {
        told = info;
        disk.crash({ mode: 'none' }); // every unsynced write is lost, here and now
      }
    },
  });
  for (let i = 0; i < 40 && !told; i++) void j.append(payloadFor(i, 200)).catch(() => {});
  for (let i = 0; i < 200 && !told; i++) await new Promise((r) => setImmediate(r));
  assert.ok(told, 'the hook ran');
  const t = told as SealedSegmentInfo;
  const bytes = disk.readFile(`/s/${t.name}`)!;
  assert.is(bytes.length, t.bytes);
  assert.is(crc32c(bytes), t.crc32c, 'the file the hook was told of survived the power loss');
});

test('a hook that throws or rejects: one warning each (STEMEDB_SEGMENT_HOOK_FAILED), the journal goes on', async () => {
  const { dir, cleanup } = tempDir();
  const warnings: Array<Error & { code?: string }> = [];
  const on = (w: Error & { code?: string }) => void (w.code === 'STEMEDB_SEGMENT_HOOK_FAILED' && warnings.push(w));
  process.on('warning', on);
  try {
    let calls = 0;
    const j = await Journal.open(dir, {
      segmentBytes: SEG,
      onSegmentSealed: (info) => {
        calls++;
        if (calls === 1) throw new Error('upload refused');
        if (calls === 2) return Promise.reject(new Error(`async upload of ${info.name} failed`));
        return undefined;
      },
    });
    for (let i = 0; i < 80; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    await new Promise((r) => setImmediate(r));
    assert.ok(calls >= 3);
    assert.is(warnings.length, 2);
    assert.match(warnings[0]!.message, /onSegmentSealed threw for 0+\.wal: upload refused/);
    assert.match(warnings[1]!.message, /async upload of \d+\.wal failed/);
    assert.is(j.stats().failed, null);
    const r = await j.append(payloadFor(1, 10));
    assert.ok((await j.read(r.offset)) !== null);
    await j.close();
  } finally {
    process.off('warning', on);
    cleanup();
  }
});

test('keepUnshipped: a slow uploader loses nothing; shipped marks survive a restart', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = { segmentBytes: SEG, retain: { maxBytes: 2 * SEG, keepUnshipped: true } };
    const queue: number[] = [];
    const j = await Journal.open(dir, { ...opts, onSegmentSealed: (info) => void queue.push(info.base) });
    for (let i = 0; i < 200; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    assert.is(j.firstOffset, 0, 'nothing shipped, nothing deleted');
    assert.equal(j.stats().retention!.heldBy, { kind: 'unshipped', base: 0 });
    const shippedInfo = await j.markShipped(queue[0]!);
    assert.is(shippedInfo.shipped, true);
    await j.markShipped(queue[1]!);
    await j.close();
    const j2 = await Journal.open(dir, opts);
    await j2.applyRetention();
    assert.is(j2.firstOffset, queue[2], 'the two shipped before the restart went');
    for (const base of queue.slice(2)) await j2.markShipped(base);
    await j2.applyRetention();
    const left = readdirSync(dir)
      .filter((n) => n.endsWith('.wal'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    assert.ok(left <= 3 * SEG, `${left} bytes left`);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('markShipped: unknown base, the active segment and bad arguments are coded errors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: SEG });
    for (let i = 0; i < 40; i++) await j.append(payloadFor(i, 150));
    await rejects(j.markShipped(12345), (e) => e instanceof RangeError && e.code === 'ERR_INVALID_ARG_VALUE');
    await rejects(j.markShipped(j.segmentBases().at(-1)!), (e) => e.code === 'NOT_SEALED');
    await rejects(j.markShipped(-1), (e) => e.code === 'ERR_OUT_OF_RANGE');
    await rejects(j.markShipped('0' as never), (e) => e instanceof TypeError);
    await j.close();
    await rejects(j.markShipped(0), (e) => e.code === 'CLOSED');
  } finally {
    cleanup();
  }
});

test('a seal whose ledger entry a crash lost is reported again at the next open (at-least-once)', async () => {
  const disk = new SimDisk({ seed: 9 });
  disk.mkdirp('/a');
  const told: number[] = [];
  const opts = { segmentBytes: SEG, syncIntervalMs: 0 };
  const j = await Journal.open('/a', { ...opts, io: disk.process(), onSegmentSealed: (i) => void told.push(i.base) });
  disk.crashAfterOps(1, 'kill', /^rename .*sealed\.ledger/); // the process dies as the ledger is renamed into place
  const crashed = disk.whenCrashed();
  for (let i = 0; i < 40; i++) void j.append(payloadFor(i, 150)).catch(() => {}); // a dead process's calls never settle: not awaited
  await within(crashed, 5000, 'the kill at the ledger rename');
  assert.equal(told, [], 'the hook runs only after the ledger entry is durable');
  const again: number[] = [];
  const j2 = await Journal.open('/a', { ...opts, io: disk.process(), onSegmentSealed: (i) => void again.push(i.base) });
  await j2.applyRetention();
  assert.ok(again.includes(0), 'segment 0 reported after the reopen');
  assert.equal(
    j2.sealedSegments().map((s) => s.base),
    j2.segmentBases().slice(0, -1),
  );
  await j2.close();
});

test('a damaged ledger is rebuilt by scanning: counts and CRCs come back, segments count as unshipped again', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: SEG });
    for (let i = 0; i < 60; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    const before = j.sealedSegments();
    await j.markShipped(before[0]!.base);
    await j.close();
    const path = join(dir, 'sealed.ledger');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"records":', '"records":1')); // the checksum line no longer matches
    const told: number[] = [];
    const j2 = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes: SEG, keepUnshipped: true }, onSegmentSealed: (i) => void told.push(i.base) });
    await j2.applyRetention();
    const after = j2.sealedSegments();
    assert.equal(
      after.map((s) => [s.base, s.records, s.crc32c]),
      before.map((s) => [s.base, s.records, s.crc32c]),
    );
    assert.ok(
      after.every((s) => !s.shipped),
      'shipped marks are lost with the ledger: kept, the safe side',
    );
    assert.equal(
      told,
      before.map((s) => s.base),
      'and reported again',
    );
    assert.is(j2.firstOffset, 0, 'keepUnshipped keeps them all');
    await j2.close();
  } finally {
    cleanup();
  }
});

test.run();
