// @both-backends — v3 frames are bound to their global offsets (a frame image inside a payload is
// not a record), v2 journals written by the previous format stay readable and appendable, and
// maxRecordBytes limits appends only: reading accepts any frame that verifies and fits its segment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, recover } from '../src/index.js';
import { frameAt } from './helpers/frame.js';
import { rejects } from './helpers/assert.js';
import { equalBytes, payloadFor, tempDir } from './helpers/tmp.js';

const HEADER = 32;

async function records(j: { iterate(): AsyncIterable<{ offset: number; payload: Uint8Array }> }): Promise<Array<{ offset: number; payload: Uint8Array }>> {
  const out: Array<{ offset: number; payload: Uint8Array }> = [];
  for await (const r of j.iterate()) out.push({ offset: r.offset, payload: r.payload.slice() });
  return out;
}

/** The frame bytes of the record at `offset` in segment 0 of `dir` (as written there). */
function frameBytes(dir: string, offset: number, payloadLength: number): Uint8Array {
  return readFileSync(join(dir, '00000000000000000000.wal')).subarray(HEADER + offset, HEADER + offset + 40 + payloadLength);
}

test('a frame image inside a payload is not a record: read() at its offset refuses it', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const inner = payloadFor(1, 100);
    const ja = await Journal.open(a.dir);
    await ja.append(inner);
    await ja.close();
    const image = frameBytes(a.dir, 0, inner.length); // a real frame, as another journal wrote it at offset 0
    const jb = await Journal.open(b.dir);
    const outer = await jb.append(image);
    // The image sits at offset 0 + 40 in journal b.
    const err = await rejects(() => jb.read(outer.offset + 40));
    assert.is(err.code, 'NOT_RECORD_START', err.message);
    assert.equal(
      (await records(jb)).map((r) => r.offset),
      [0],
    );
    await jb.close();
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test("'salvage' after a damaged length field does not return a frame image from inside the payload", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const inner = payloadFor(2, 64);
    // A frame image as it would be written at this very offset by the v2 format (unbound),
    // and one bound to offset 0 (a copy of another journal's first record).
    const v2Image = frameAt(inner, null);
    const j = await Journal.open(dir);
    const first = await j.append(v2Image);
    const tail = [payloadFor(3, 50), payloadFor(4, 70)];
    for (const p of tail) await j.append(p);
    await j.close();
    // Damage the first record's length field (rule 4: never skip by it).
    const fd = openSync(join(dir, '00000000000000000000.wal'), 'r+');
    writeSync(fd, Uint8Array.of(0xff, 0xff, 0x00, 0x00), 0, 4, HEADER + first.offset);
    closeSync(fd);
    const s = await Journal.open(dir, { recovery: 'salvage' });
    const got = await records(s);
    assert.equal(
      got.map((r) => r.offset),
      [first.next, first.next + 90],
      'only the two real records after the damage',
    );
    assert.ok(!got.some((r) => equalBytes(r.payload, inner)), 'the inner image was returned as a record');
    assert.equal(
      s.recovery.gaps.map((g) => [g.from, g.to]),
      [[first.offset, first.next]],
    );
    await s.close();
  } finally {
    cleanup();
  }
});

/** A v2 segment as the previous format wrote it (docs/format.md: header and the "hello" frame, byte for byte). */
function writeV2Journal(dir: string, more: Uint8Array[]): number {
  const header = Buffer.from('5354454d4557414c' + '02000000' + '20000000' + '00'.repeat(8) + '00000000' + '878f9bcb', 'hex');
  const hello = Buffer.from('050000000fe3b0efea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f68656c6c6f', 'hex');
  // v2 frames of `more`: CRCs from hashFrames without an offset (unbound).
  const frames = more.map((p) => frameAt(p, null));
  const seg = Buffer.concat([header, hello, ...frames]);
  writeFileSync(join(dir, '00000000000000000000.wal'), seg);
  return seg.length - HEADER;
}

test('a v2 journal (the previous format) opens, reads, takes appends in its v2 tail and rotates into v3', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const old = [payloadFor(10, 30), payloadFor(11, 200)];
    const end = writeV2Journal(dir, old);
    const j = await Journal.open(dir, { segmentBytes: 1024 });
    assert.is(j.recovery.corruption.length, 0);
    assert.is(j.recovery.end, end);
    const want = [new TextEncoder().encode('hello'), ...old];
    // Appends: the first still fits in the v2 segment (written as v2 frames), the rest rotate into v3 segments.
    const added = [payloadFor(12, 100), payloadFor(13, 600), payloadFor(14, 500), payloadFor(15, 10)];
    await j.appendBatch(added); // one batch: a v2 run into the old tail, then v3 runs into new segments
    want.push(...added);
    assert.equal(
      (await records(j)).map((r) => Buffer.from(r.payload).toString('hex')),
      want.map((p) => Buffer.from(p).toString('hex')),
    );
    await j.close();
    const names = readdirSync(dir)
      .filter((n) => n.endsWith('.wal'))
      .sort();
    assert.ok(names.length >= 3, names.join(','));
    const versions = names.map((n) => readFileSync(join(dir, n)).readUInt32LE(8));
    assert.equal(versions, [2, ...versions.slice(1).map(() => 3)]);
    for (const check of [await Journal.open(dir), await Journal.openReader(dir)]) {
      assert.equal(
        (await records(check)).map((r) => Buffer.from(r.payload).toString('hex')),
        want.map((p) => Buffer.from(p).toString('hex')),
      );
      await check.close();
    }
    const report = await recover(dir, { verifyAll: true, dryRun: true });
    assert.is(report.recordsValid, want.length);
    assert.is(report.corruption.length, 0);
  } finally {
    cleanup();
  }
});

test('lowering maxRecordBytes on reopen: every record still reads, and nothing is cut (with or without a watermark)', async () => {
  for (const watermark of [true, false]) {
    const { dir, cleanup } = tempDir();
    try {
      const big = [payloadFor(20, 5000), payloadFor(21, 3000), payloadFor(22, 4000)];
      const j = await Journal.open(dir);
      for (const p of big) await j.append(p);
      await j.close();
      if (!watermark) rmSync(join(dir, 'durable'));
      const j2 = await Journal.open(dir, { maxRecordBytes: 1000 });
      assert.is(j2.recovery.truncatedAt, null, `watermark ${watermark}: cut at ${j2.recovery.truncatedAt}`);
      assert.is(j2.recovery.corruption.length, 0);
      assert.is(j2.recovery.recordsValid, 3);
      assert.equal(
        (await records(j2)).map((r) => r.payload.length),
        [5000, 3000, 4000],
      );
      assert.is((await j2.read(5040))!.payload.length, 3000);
      // It still limits appends.
      await rejects(j2.append(new Uint8Array(1001)), (e: Error & { code?: string }) => e.code === 'RECORD_TOO_LARGE');
      await j2.close();
      assert.ok(!readdirSync(dir).some((n) => n.includes('.broken')), 'nothing was set aside');
      const r = await Journal.openReader(dir, { maxRecordBytes: 1000 });
      assert.equal(
        (await records(r)).map((x) => x.payload.length),
        [5000, 3000, 4000],
      );
      await r.close();
      const rep = await recover(dir, { verifyAll: true, dryRun: true, maxRecordBytes: 1000 });
      assert.is(rep.recordsValid, 3);
    } finally {
      cleanup();
    }
  }
});

test.run();
