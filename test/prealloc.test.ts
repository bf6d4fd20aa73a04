// @both-backends — preallocated zeros after the active segment's records ('group'/'each'): what is on disk
// while the journal runs, after rotation and close, and how recovery treats an all-zero tail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, backend, type AppendResult } from '../src/index.js';
import { PREALLOC_BYTES } from '../src/journal/write/prealloc.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';
import { SimDisk } from './helpers/sim-disk.js';

const HEADER = 32;

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

function fileSize(path: string): number {
  return statSync(path).size;
}

/** A closed journal of 8 records of 300 B in `dir`: its one segment file and the records' results. */
async function eightRecords(dir: string): Promise<{ seg: string; rs: AppendResult[] }> {
  const j = await Journal.open(dir);
  const rs: AppendResult[] = [];
  for (let i = 0; i < 8; i++) rs.push(await j.append(payloadFor(i, 300)));
  await j.close();
  return { seg: join(dir, segmentFiles(dir)[0]!), rs };
}

test(`'group' keeps written zeros after the active segment's records; rotation and close cut them off (${backend})`, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segmentBytes = 4 * PREALLOC_BYTES;
    const j = await Journal.open(dir, { segmentBytes });
    const payloads = Array.from({ length: 20 }, (_, i) => payloadFor(i, 1000));
    const rs = [];
    for (const p of payloads) rs.push(await j.append(p));
    const [active] = segmentFiles(dir);
    const dataBytes = rs.at(-1)!.next;
    const zeroBytes = fileSize(join(dir, active!)) - HEADER - dataBytes;
    // Refilled to PREALLOC_BYTES past a batch whenever less than an eighth is left.
    assert.ok(zeroBytes >= PREALLOC_BYTES / 8 && zeroBytes <= PREALLOC_BYTES, `${zeroBytes} bytes of zeros after the data`);
    const tail = readFileSync(join(dir, active!)).subarray(HEADER + dataBytes);
    assert.ok(
      tail.every((b) => b === 0),
      'what follows the records is zeros',
    );

    // Fill past the first segment: the sealed one holds exactly its records.
    const big = payloadFor(99, 100_000);
    while (j.stats().segments < 3) await j.append(big);
    const files = segmentFiles(dir);
    for (let i = 0; i + 1 < files.length; i++) {
      const base = Number(files[i]!.slice(0, 20));
      const next = Number(files[i + 1]!.slice(0, 20));
      assert.is(fileSize(join(dir, files[i]!)), HEADER + next - base, `sealed ${files[i]} is header + data`);
    }
    const last = files.at(-1)!;
    assert.ok(fileSize(join(dir, last)) > HEADER + j.nextOffset - Number(last.slice(0, 20)), 'the active one is preallocated');
    assert.ok(fileSize(join(dir, last)) <= HEADER + segmentBytes, 'never past the segment size');

    await j.close();
    assert.is(fileSize(join(dir, last)), HEADER + j.nextOffset - Number(last.slice(0, 20)), 'close cuts the zeros off');
    const again = await Journal.open(dir, { recovery: 'strict' });
    assert.is(again.recovery.zeroTailBytes, 0);
    let n = 0;
    for await (const rec of again.iterate()) {
      if (n < payloads.length) assert.ok(equalBytes(rec.payload, payloads[n]!), `record ${n}`);
      n++;
    }
    assert.is(again.nextOffset, j.nextOffset);
    await again.close();
  } finally {
    cleanup();
  }
});

test("'none' writes no zeros: the file is header + data", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { durability: 'none', syncIntervalMs: 0 });
    for (let i = 0; i < 10; i++) await j.append(payloadFor(i, 500));
    assert.is(fileSize(join(dir, segmentFiles(dir)[0]!)), HEADER + j.nextOffset);
    await j.close();
  } finally {
    cleanup();
  }
});

test('an all-zero tail (a writer that did not close) is unwritten space: strict opens, nothing is set aside', async () => {
  for (const policy of ['strict', 'tolerate-tail', 'truncate', 'salvage'] as const) {
    const { dir, cleanup } = tempDir();
    try {
      const { seg, rs } = await eightRecords(dir);
      const end = rs.at(-1)!.next;
      // What a killed writer leaves: its records, then preallocated zeros.
      appendFileSync(seg, new Uint8Array(PREALLOC_BYTES + 7));
      const again = await Journal.open(dir, { recovery: policy });
      assert.is(again.recovery.zeroTailBytes, PREALLOC_BYTES + 7, policy);
      assert.equal(again.recovery.corruption, [], policy);
      assert.equal(again.recovery.brokenFiles, [], policy);
      assert.is(again.recovery.truncatedAt, null, policy);
      assert.is(again.nextOffset, end, policy);
      assert.is(fileSize(seg), HEADER + end, `${policy}: the zeros are cut off at open`);
      const more = await again.append(payloadFor(100, 50));
      assert.is(more.offset, end);
      await again.close();
      assert.equal(
        readdirSync(dir).filter((n) => n.includes('.broken')),
        [],
      );
    } finally {
      cleanup();
    }
  }
});

test('zeros where acknowledged records were (below the durable watermark) are still missing data', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { seg, rs } = await eightRecords(dir);
    // The last two acknowledged records read back as zeros.
    truncateSync(seg, HEADER + rs[5]!.next);
    appendFileSync(seg, new Uint8Array(rs[7]!.next - rs[5]!.next + 4096));
    await rejects(Journal.open(dir), (e: Error & { code?: string }) => e.message.includes('missing data'));
    await rejects(Journal.open(dir, { recovery: 'strict' }), (e: Error & { code?: string }) => e.message.includes('missing data'));
    const accepted = await Journal.open(dir, { recovery: 'truncate' });
    assert.is(accepted.nextOffset, rs[5]!.next, 'truncate accepts the loss at the last whole record');
    await accepted.close();
  } finally {
    cleanup();
  }
});

for (const op of ['truncate', 'sync'] as const) {
  test(`a failed ${op} while cutting the zeros off at rotation fail-stops; a crash then keeps every acknowledged record`, async () => {
    const disk = new SimDisk({ seed: 7 });
    disk.mkdirp('/p');
    const open = () => Journal.open('/p', { io: disk.process(), segmentBytes: 4096, syncIntervalMs: 0 });
    const j = await open();
    const acked: Array<{ offset: number; payload: Uint8Array }> = [];
    for (let i = 0; i < 10; i++) {
      const payload = payloadFor(i, 300);
      acked.push({ offset: (await j.append(payload)).offset, payload });
    }
    // The next append rotates; the trim of the full segment is the first truncate (then its fsync).
    disk.failNext({ op, code: 'EIO', path: '/p/00000000000000000000.wal' });
    while (j.stats().segments === 1 && !j.stats().failed) {
      try {
        const payload = payloadFor(acked.length, 300);
        acked.push({ offset: (await j.append(payload)).offset, payload });
      } catch (err) {
        assert.is((err as { code?: string }).code, 'EIO');
        break;
      }
    }
    assert.ok(j.stats().failed, 'the journal stopped');
    await rejects(j.append(new Uint8Array(1)), (e: Error & { code?: string }) => e.code === 'EIO');
    disk.crash({ mode: 'none' });
    const again = await Journal.open('/p', { io: disk.process(), segmentBytes: 4096, syncIntervalMs: 0, recovery: 'strict' });
    for (const a of acked) assert.ok(equalBytes((await again.read(a.offset))!.payload, a.payload), `record at ${a.offset}`);
    await again.append(new Uint8Array(5)); // and it goes on, rotating past the old segment
    await again.close();
  });
}

test.run();
