// Retention: whole sealed segments, oldest first, by size, age (injected clock) and free disk
// space (injected statfs); cursors hold it back (stats(), one warning) unless overrideCursors
// (then the cursor's next read fails with OFFSET_CLEANED); I/O errors fail-stop (simulated disk).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../src/index.js';
import { createFsIO } from '../src/io/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';
import { rejects, within } from './helpers/assert.js';
import { SimDisk } from './helpers/sim-disk.js';

const SEG = 4096;
const HEADER = 32;
const walBytes = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const walCount = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wal')).length;

/** Collects process warnings with `code` while `fn` runs. */
async function warningsDuring(code: string, fn: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const on = (w: Error & { code?: string }) => {
    if (w.code === code) seen.push(w);
  };
  process.on('warning', on);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', on);
  }
  return seen;
}

test('appending 10x maxBytes: segment files stay within maxBytes plus one segment', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const maxBytes = 8 * SEG;
    const j = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes } });
    let appended = 0;
    let worst = 0;
    let i = 0;
    while (appended < 10 * maxBytes) {
      const r = await j.append(payloadFor(i++, 100 + (i % 50)));
      appended += r.next - r.offset;
      if (i % 10 === 0) {
        await j.applyRetention();
        const used = walBytes(dir);
        worst = Math.max(worst, used);
        assert.ok(used <= maxBytes + SEG + HEADER, `${used} bytes of segments on disk after ${appended} appended`);
      }
    }
    const res = await j.applyRetention();
    assert.ok(res && res.bytes <= maxBytes, `retention reports ${res?.bytes} bytes kept`);
    assert.ok(j.firstOffset > 8 * maxBytes, 'old segments went');
    assert.is(j.stats().retention!.heldBy, null);
    // What remains reads back in order from the first offset.
    let n = 0;
    for await (const rec of j.iterate()) n += rec.payload.length > 0 ? 1 : 0;
    assert.ok(n > 0);
    await j.close();
    console.log(`  worst ${worst} bytes on disk for maxBytes ${maxBytes} (+ one segment ${SEG})`);
  } finally {
    cleanup();
  }
});

test('retention also runs by itself after seals and at open', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: SEG });
    for (let i = 0; i < 200; i++) await j.append(payloadFor(i, 200));
    await j.close();
    const before = walCount(dir);
    const j2 = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes: 3 * SEG } });
    await within(
      (async () => {
        while (walCount(dir) >= before) await new Promise((r) => setTimeout(r, 5));
      })(),
      5000,
      'retention at open',
    );
    for (let i = 0; i < 100; i++) await j2.append(payloadFor(i, 200));
    await within(
      (async () => {
        while (walBytes(dir) > 4 * SEG + HEADER) await new Promise((r) => setTimeout(r, 5));
      })(),
      5000,
      'retention after seals',
    );
    await j2.close();
  } finally {
    cleanup();
  }
});

test("age-based retention with an injected clock counts from each segment's seal time", async () => {
  const { dir, cleanup } = tempDir();
  try {
    let now = 1_000_000;
    const j = await Journal.open(dir, { segmentBytes: SEG, clock: () => now, retain: { maxAgeMs: 60_000 } });
    for (let i = 0; i < 40; i++) await j.append(payloadFor(i, 300)); // some segments sealed at t=1_000_000
    await j.applyRetention();
    const early = j.sealedSegments();
    assert.ok(early.length >= 2);
    assert.ok(early.every((s) => s.sealedAt === 1_000_000));
    now += 30_000;
    for (let i = 0; i < 40; i++) await j.append(payloadFor(i, 300)); // more, sealed at t=1_030_000
    assert.equal((await j.applyRetention())!.removed, [], 'nothing is 60 s old yet');
    now += 30_001; // the first ones are now 60.001 s old, the later ones 30.001 s
    const res = await j.applyRetention();
    assert.equal(
      res!.removed,
      early.map((s) => s.name),
    );
    assert.ok(j.sealedSegments().every((s) => s.sealedAt === 1_030_000));
    // Seal times survive a reopen (the ledger), so age is not reset by restarting.
    await j.close();
    const j2 = await Journal.open(dir, { segmentBytes: SEG, clock: () => now, retain: { maxAgeMs: 60_000 } });
    assert.ok(j2.sealedSegments().every((s) => s.sealedAt === 1_030_000));
    now += 30_000;
    await j2.applyRetention();
    assert.is(j2.segmentBases().length, 1, 'only the active segment is left');
    await j2.close();
  } finally {
    cleanup();
  }
});

test('a cursor holds retention back: stats() says so, and one warning when the limit is exceeded 2x', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const maxBytes = 4 * SEG;
    const j = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes } });
    const first = await j.append(payloadFor(0, 100));
    await j.cursors.commit('slow', first.next);
    let warnings = await warningsDuring('STEMEDB_RETENTION_HELD', async () => {
      for (let i = 0; i < 120; i++) await j.append(payloadFor(i, 150)); // ~1.4x maxBytes: no warning yet
      await j.applyRetention();
    });
    assert.is(warnings.length, 0, 'below 2x: no warning');
    assert.equal(j.stats().retention!.heldBy, { kind: 'cursor', name: 'slow', offset: first.next });
    assert.is(j.firstOffset, 0);
    warnings = await warningsDuring('STEMEDB_RETENTION_HELD', async () => {
      for (let i = 0; i < 200; i++) await j.append(payloadFor(i, 150));
      await j.applyRetention();
      await j.applyRetention();
    });
    assert.is(warnings.length, 1, 'exactly one warning');
    assert.match(warnings[0]!.message, /cursor "slow" at offset \d+ holds retention back/);
    const slow = j.stats().cursors.find((c) => c.name === 'slow')!;
    assert.ok(slow.lagBytes > 2 * maxBytes);
    // The cursor moves: retention goes up to its segment, never past it.
    const mid = j.segmentBases()[5]!;
    await j.cursors.commit('slow', mid);
    await j.applyRetention();
    assert.is(j.firstOffset, mid, "deleted up to the cursor's segment");
    await j.cursors.delete('slow');
    await j.applyRetention();
    assert.ok(walBytes(dir) <= maxBytes + SEG + HEADER);
    assert.is(j.stats().retention!.heldBy, null);
    await j.close();
  } finally {
    cleanup();
  }
});

test('overrideCursors deletes past a cursor; its next read fails with OFFSET_CLEANED, never skips', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: SEG });
    for (let i = 0; i < 100; i++) await j.append(payloadFor(i, 150));
    await j.cursors.commit('slow', 0);
    await j.close();
    const j2 = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes: 2 * SEG, overrideCursors: true } });
    await j2.applyRetention();
    assert.ok(j2.firstOffset > 0);
    const c = j2.stats().cursors.find((x) => x.name === 'slow')!;
    assert.is(c.cleaned, true);
    await rejects(j2.read(c.offset), (e) => e.code === 'OFFSET_CLEANED');
    await rejects(
      async () => {
        for await (const _ of j2.iterate({ from: c.offset })) break;
      },
      (e) => e.code === 'OFFSET_CLEANED',
    );
    const reader = await Journal.openReader(dir);
    await rejects(reader.read(c.offset), (e) => e.code === 'OFFSET_CLEANED');
    await reader.close();
    // Moving the cursor forward to what is there works again.
    await j2.cursors.commit('slow', j2.firstOffset);
    assert.is(j2.stats().cursors[0]!.cleaned, false);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('minFreeDiskBytes (statfs injected): the oldest segments go until the disk has that much free', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let free = 1 << 30;
    const io = { ...createFsIO(), statfs: () => ({ bavail: free, bsize: 1 }) };
    const j = await Journal.open(dir, { segmentBytes: SEG, io, retain: { minFreeDiskBytes: 10 * SEG } });
    for (let i = 0; i < 100; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    const all = j.segmentBases().length;
    assert.ok(all > 4);
    assert.is(j.firstOffset, 0, 'plenty of space: nothing goes');
    free = 10 * SEG - 2 * SEG - 100; // short by a little over two segments
    const res = await j.applyRetention();
    assert.is(res!.removed.length, 3);
    assert.is(j.segmentBases().length, all - 3);
    await j.close();
  } finally {
    cleanup();
  }
});

test('keepUnshipped holds segments until markShipped; a segment being read by an iterator stays', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: SEG, retain: { maxBytes: 2 * SEG, keepUnshipped: true } });
    for (let i = 0; i < 100; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    assert.is(j.firstOffset, 0);
    assert.equal(j.stats().retention!.heldBy, { kind: 'unshipped', base: 0 });
    const sealed = j.sealedSegments();
    await j.markShipped(sealed[0]!.base);
    await j.markShipped(sealed[1]!.base);
    await j.applyRetention();
    assert.is(j.firstOffset, sealed[2]!.base, 'the shipped ones went, the unshipped third stays');
    // An iterator holding segment 2: shipping it does not get it deleted under the reader.
    const it = j.iterate({ from: sealed[2]!.base });
    await it.next();
    await j.markShipped(sealed[2]!.base);
    await j.applyRetention();
    assert.is(j.firstOffset, sealed[2]!.base, 'pinned by the iterator');
    await it.return(undefined);
    await j.applyRetention();
    assert.is(j.firstOffset, sealed[3]!.base);
    await j.close();
  } finally {
    cleanup();
  }
});

test('retain options are checked: misspelt keys and bad values are coded errors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await rejects(
      Journal.open(dir, { retain: { maxByte: 1 } as never }),
      (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE' && /retain\.maxByte/.test(e.message),
    );
    await rejects(Journal.open(dir, { retain: 5 as never }), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
    await rejects(Journal.open(dir, { retain: { maxBytes: -1 } }), (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE');
    await rejects(Journal.open(dir, { retain: { maxAgeMs: '1d' as never } }), (e) => e instanceof TypeError);
    await rejects(Journal.open(dir, { retain: { keepUnshipped: 1 as never } }), (e) => e instanceof TypeError);
    await rejects(Journal.open(dir, { clock: 5 as never }), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
    await rejects(Journal.open(dir, { onSegmentSealed: {} as never }), (e) => e instanceof TypeError);
    await rejects(Journal.open(dir, { retainBytes: 1 } as never), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE');
  } finally {
    cleanup();
  }
});

test('simulated disk: a failed unlink or directory fsync during retention fail-stops; reopen recovers and retention finishes', async () => {
  for (const fault of [{ op: 'unlink' as const, path: /\.wal$/ }, { op: 'fsyncDir' as const }]) {
    const disk = new SimDisk({ seed: 3 });
    disk.mkdirp('/j');
    const opts = { segmentBytes: SEG, syncIntervalMs: 0, retain: { maxBytes: 2 * SEG } };
    const j = await Journal.open('/j', { ...opts, io: disk.process() });
    for (let i = 0; i < 30; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    disk.failNext({ ...fault, code: 'EIO' });
    const last = await j.append(payloadFor(999, 150)).catch(() => null);
    for (let i = 0; i < 60 && !j.stats().failed; i++) await j.append(payloadFor(i, 150)).catch(() => null);
    await j.applyRetention().catch(() => {});
    assert.is(j.stats().failed, 'EIO', `${fault.op}: the journal fail-stopped`);
    await j.close().catch(() => {});
    const j2 = await Journal.open('/j', { ...opts, io: disk.process() });
    if (last) assert.ok(j2.firstOffset > last.offset || (await j2.read(last.offset)) !== null, "the acknowledged append is there or was retention's to delete");
    await j2.applyRetention();
    assert.ok(j2.segmentBases().length <= 4, `${fault.op}: retention finished after reopen`);
    assert.equal(
      j2.sealedSegments().map((s) => s.base),
      j2.segmentBases().slice(0, -1),
      `${fault.op}: the ledger matches the segments`,
    );
    await j2.close();
  }
});

test('simulated disk: a full disk failing the ledger write warns, retention still frees space, the write is retried', async () => {
  const disk = new SimDisk({ seed: 4 });
  disk.mkdirp('/f');
  const told: number[] = [];
  const warnings: Array<Error & { code?: string }> = [];
  const on = (w: Error & { code?: string }) => void (w.code === 'STEMEDB_LEDGER_WRITE_FAILED' && warnings.push(w));
  process.on('warning', on);
  try {
    const j = await Journal.open('/f', {
      segmentBytes: SEG,
      syncIntervalMs: 0,
      io: disk.process(),
      retain: { maxBytes: 2 * SEG },
      onSegmentSealed: (i) => void told.push(i.base),
    });
    for (let i = 0; i < 20; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    const toldBefore = told.length;
    disk.failNext({ op: 'write', code: 'ENOSPC', path: /sealed\.ledger/ });
    for (let i = 0; i < 60; i++) await j.append(payloadFor(i, 150));
    await j.applyRetention();
    await new Promise((r) => setImmediate(r));
    assert.ok(warnings.length >= 1, 'a warning says the ledger could not be written');
    assert.is(j.stats().failed, null, 'the journal goes on');
    assert.ok(j.firstOffset > 0, 'retention freed space');
    assert.ok(told.length > toldBefore, 'segments were reported once their entries were durable');
    const bases = j.segmentBases();
    assert.equal(
      j.sealedSegments().map((s) => s.base),
      bases.slice(0, -1),
    );
    await j.close();
    const j2 = await Journal.open('/f', { segmentBytes: SEG, syncIntervalMs: 0, io: disk.process() });
    assert.equal(
      j2.sealedSegments().map((s) => s.base),
      j2.segmentBases().slice(0, -1),
      'the retried ledger write is on disk',
    );
    await j2.close();
  } finally {
    process.off('warning', on);
  }
});

test.run();
