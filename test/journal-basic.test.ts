// @both-backends — append/read/iterate round trips, rotation, offsets across reopen, resolve, cleanup, bad inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Journal, blake3, backend } from '../src/index.js';
import { segmentName } from '../src/format/segment.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test(`round trip of 0, 1, 39, 40, 41 bytes and several MiB across rotations (${backend})`, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 64 * 1024, maxRecordBytes: 8 << 20 });
    const sizes = [0, 1, 39, 40, 41, 1000, 64 * 1024, 64 * 1024 + 1, 3 << 20, 5, 0, 100_000];
    for (let i = 0; i < 300; i++) sizes.push((i * 7919) % 5000);
    const written: Array<{ offset: number; next: number; payload: Uint8Array }> = [];
    let expectOffset = 0;
    for (let i = 0; i < sizes.length; i++) {
      const payload = payloadFor(i, sizes[i]!);
      const r = await j.append(payload);
      assert.is(r.offset, expectOffset, `offset of record ${i}`);
      assert.is(r.next, r.offset + 40 + payload.length);
      assert.is(hex(r.hash), hex(blake3(payload)));
      expectOffset = r.next;
      written.push({ offset: r.offset, next: r.next, payload });
    }
    assert.ok(j.stats().segments > 10, `rotated into ${j.stats().segments} segments`);
    for (const w of written) {
      const rec = await j.read(w.offset);
      assert.ok(rec && equalBytes(rec.payload, w.payload), `read ${w.offset}`);
      assert.is(rec!.next, w.next);
    }
    assert.is(await j.read(expectOffset), null, 'at the end: null');
    assert.is(await j.read(expectOffset + 1000), null, 'past the end: null');
    let n = 0;
    for await (const rec of j.iterate()) {
      assert.is(rec.offset, written[n]!.offset);
      assert.ok(equalBytes(rec.payload, written[n]!.payload));
      n++;
    }
    assert.is(n, written.length);
    await j.close();

    // Offsets are stable across close/reopen, and appending continues after the end.
    const j2 = await Journal.open(dir, { segmentBytes: 64 * 1024, maxRecordBytes: 8 << 20 });
    assert.is(j2.nextOffset, expectOffset);
    assert.is(j2.recovery.truncatedAt, null);
    for (const w of written) assert.ok(equalBytes((await j2.read(w.offset))!.payload, w.payload));
    const more = await j2.append(payloadFor(9999, 10));
    assert.is(more.offset, expectOffset);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('a record never spans segments; a record larger than segmentBytes gets a segment of its own', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 4096 });
    const a = await j.append(payloadFor(1, 3000));
    const b = await j.append(payloadFor(2, 3000)); // would pass 4096: new segment
    const big = await j.append(payloadFor(3, 10_000)); // larger than a segment
    const c = await j.append(payloadFor(4, 10));
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    assert.equal(names, [segmentName(a.offset), segmentName(b.offset), segmentName(big.offset), segmentName(c.offset)]);
    await j.close();
  } finally {
    cleanup();
  }
});

test('resolve() at every segment boundary', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    for (let i = 0; i < 200; i++) await j.append(payloadFor(i, (i * 37) % 700));
    const segs = j.segments.segments;
    assert.ok(segs.length > 20);
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      assert.is(j.segments.resolve(s.base), s, `base of ${i}`);
      if (s.base > 0) assert.is(j.segments.resolve(s.base - 1), segs[i - 1], `byte before ${i}`);
      assert.is(j.segments.resolve(s.end - 1), s, `last byte of ${i}`);
      const rec = await j.read(s.base);
      assert.ok(rec, `record at boundary ${s.base}`);
    }
    await j.close();
  } finally {
    cleanup();
  }
});

test('appendBatch keeps order and offsets; iterate honours from/to', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 8192 });
    const payloads = Array.from({ length: 500 }, (_, i) => payloadFor(i, i % 300));
    const results = await j.appendBatch(payloads);
    for (let i = 1; i < results.length; i++) assert.is(results[i]!.offset, results[i - 1]!.next);
    const from = results[100]!.offset;
    const to = results[200]!.offset;
    const got = [];
    for await (const r of j.iterate({ from, to })) got.push(r.offset);
    assert.equal(
      got,
      results.slice(100, 200).map((r) => r.offset),
    );
    assert.equal(await j.appendBatch([]), []);
    await j.close();
  } finally {
    cleanup();
  }
});

test('cleanup deletes only segments wholly below the cursor, never the active or a needed one', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    const rs = [];
    for (let i = 0; i < 100; i++) rs.push(await j.append(payloadFor(i, 500)));
    const segs = j.segments.segments.map((s) => ({ base: s.base, end: s.end, name: s.name }));
    const cursor = rs[50]!.offset;
    const holder = segs.find((s) => s.base <= cursor && cursor < s.end)!;
    const removed = await j.cleanup(cursor);
    assert.equal(
      removed,
      segs.filter((s) => s.end <= cursor).map((s) => s.name),
    );
    assert.is(j.firstOffset, holder.base);
    assert.ok((await j.read(cursor)) !== null, 'the record at the cursor is still there');
    await rejects(j.read(rs[0]!.offset), (e: Error & { code?: string }) => e.code === 'OFFSET_CLEANED');
    // A cursor at the end never removes the active segment (past the end: journal-cleanup.test.ts).
    await j.cleanup(j.nextOffset);
    assert.is(j.segments.segments.length, 1);
    const r = await j.append(payloadFor(1, 10));
    assert.ok((await j.read(r.offset)) !== null);
    await j.close();
    const j2 = await Journal.open(dir, { segmentBytes: 2048 });
    assert.is(j2.firstOffset, j.segments.segments[0]?.base ?? j2.firstOffset);
    assert.is(j2.nextOffset, r.next);
    await j2.close();
  } finally {
    cleanup();
  }
});

test('cleanup leaves a segment that an in-process iterator is reading', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    for (let i = 0; i < 40; i++) await j.append(payloadFor(i, 500));
    const it = j.iterate();
    const first = await it.next();
    assert.is(first.value!.offset, 0);
    const removed = await j.cleanup(j.durableOffset);
    assert.equal(removed, [], 'segment 0 is pinned by the iterator');
    let n = 1;
    for await (const _ of { [Symbol.asyncIterator]: () => it }) n++;
    assert.is(n, 40);
    assert.ok((await j.cleanup(j.durableOffset)).length > 0);
    await j.close();
  } finally {
    cleanup();
  }
});

test('bad inputs get typed errors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { maxRecordBytes: 1000 });
    const r = await j.append(payloadFor(1, 100));
    await j.append(payloadFor(2, 100));
    await rejects(j.append('text' as unknown as Uint8Array), TypeError);
    await rejects(j.append(null as unknown as Uint8Array), TypeError);
    await rejects(j.append(new Uint8Array(1001)), RangeError);
    await rejects(j.appendBatch([new Uint8Array(1), 5 as unknown as Uint8Array]), /payloads\[1\]/);
    await rejects(j.appendBatch('x' as unknown as Uint8Array[]), TypeError);
    await rejects(j.read(-1), RangeError);
    await rejects(j.read(NaN), RangeError);
    await rejects(j.read(1.5), RangeError);
    await rejects(j.read('0' as unknown as number), TypeError);
    // iterate(): bad bounds reject from the first next(), never throw at the call.
    await rejects(j.iterate({ from: -1 }).next(), RangeError);
    await rejects(j.iterate({ to: 1.5 }).next(), RangeError);
    await rejects(j.iterate({ from: 'x' as unknown as number }).next(), TypeError);
    await rejects(j.iterate({ from: r.offset + 7 }).next(), (e: Error & { code?: string }) => e.code === 'NOT_RECORD_START');
    const ranged: number[] = [];
    for await (const rec of j.iterate({ from: r.next, to: r.next + 1 })) ranged.push(rec.offset);
    assert.equal(ranged, [r.next], 'from/to select exactly the records whose offsets are in [from, to)');
    await rejects(j.read(r.offset + 7), (e: Error & { code?: string }) => e.code === 'NOT_RECORD_START');
    await rejects(j.read(r.next - 3), (e: Error & { code?: string }) => e.code === 'NOT_RECORD_START');
    await rejects(Journal.open(dir + '-x', { segmentBytes: 10 }), RangeError);
    await rejects(Journal.open(dir + '-x', { durability: 'sometimes' as never }), RangeError);
    await rejects(Journal.open('' as string), TypeError);
    assert.is(j.stats().nextOffset, r.next + 140);
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await rejects(j.appendBatch([new Uint8Array(2), detached]), /payloads\[1\].*detached/);
    const [empty] = await j.appendBatch([new Uint8Array(0)]); // an empty payload is a record
    assert.is(empty!.next - empty!.offset, 40);
    await j.close();
    await j.close(); // idempotent
    await rejects(j.append(new Uint8Array(1)), (e: Error & { code?: string }) => e.code === 'CLOSED');
    await rejects(j.appendBatch([]), (e: Error & { code?: string }) => e.code === 'CLOSED');
    await rejects(j.read(0), (e: Error & { code?: string }) => e.code === 'CLOSED');
    await rejects(j.iterate().next(), (e: Error & { code?: string }) => e.code === 'CLOSED');
    await rejects(j.cleanup(0), (e: Error & { code?: string }) => e.code === 'CLOSED');
  } finally {
    cleanup();
  }
});

test('a foreign, truncated-header or other-version segment file is refused with an error naming it', async () => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const cases: Array<[string, (b: Buffer) => Buffer]> = [
    ['foreign', () => Buffer.from('hello, I am not a segment at all........')],
    ['truncated header', (b) => b.subarray(0, 20)],
    [
      'older version',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt32LE(1, 8);
        return c;
      },
    ],
    [
      'newer version',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt32LE(4, 8);
        return c;
      },
    ],
  ];
  for (const [what, mutate] of cases) {
    const { dir, cleanup } = tempDir();
    try {
      const j = await Journal.open(dir, { segmentBytes: 1024 });
      for (let i = 0; i < 10; i++) await j.append(payloadFor(i, 300));
      const victim = j.segments.segments[1]!.name;
      await j.close();
      writeFileSync(`${dir}/${victim}`, mutate(readFileSync(`${dir}/${victim}`)));
      await rejects(Journal.open(dir), (e: Error & { code?: string }) => e.code === 'BAD_SEGMENT' && e.message.includes(victim), what);
    } finally {
      cleanup();
    }
  }
});

test.run();
