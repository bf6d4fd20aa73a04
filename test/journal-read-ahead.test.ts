// Read-ahead (src/journal/read/read-ahead.ts): the next block read on the pool while one is
// verified changes nothing a caller sees. Each test compares the default IO with the same IO
// without preadStart (every block read when needed, as before), or breaks the pool's reads on purpose.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { Journal, CorruptionError, type JournalIO, type JournalRecord, type PendingRead } from '../src/index.js';
import { defaultIO } from '../src/io/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';

/** What an iteration yields: the batches' record offsets, then the error it ended with (if any). */
interface Outcome {
  batches: number[][];
  records: string[];
  error: { name: string; code?: string; position?: number; message: string } | null;
}

async function outcome(batches: AsyncIterable<JournalRecord[]>): Promise<Outcome> {
  const out: Outcome = { batches: [], records: [], error: null };
  try {
    for await (const b of batches) {
      out.batches.push(b.map((r) => r.offset));
      for (const r of b) out.records.push(`${r.offset}:${r.next}:${Buffer.from(r.hash).toString('hex')}:${Buffer.from(r.payload).toString('base64')}`);
    }
  } catch (err) {
    const e = err as Error & { code?: string; position?: number };
    out.error = { name: e.name, code: e.code, position: e.position, message: e.message };
  }
  return out;
}

/** The default IO, without reads off the JS thread. */
function noReadAhead(): JournalIO {
  const io = { ...defaultIO() };
  delete io.preadStart;
  return io;
}

/** Records of 1..20000 bytes (some larger than a 128 KiB block), over several 1 MiB segments. */
const lens = (i: number) => (i % 97 === 0 ? 300_000 : 1 + ((i * 7919) % 20_000));

async function filled(dir: string): Promise<void> {
  const j = await Journal.open(dir, { segmentBytes: 1 << 20 });
  for (let i = 0; i < 400; i += 50) await j.appendBatch(Array.from({ length: 50 }, (_, k) => payloadFor(i + k, lens(i + k))));
  await j.close();
}

test('read-ahead on or off: the same batches, records and bytes, for every block size and range', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await filled(dir);
    const on = await Journal.open(dir);
    // One writer per directory: the comparison reads through a reader without read-ahead.
    const offReader = await Journal.openReader(dir, { io: noReadAhead() });
    const all = (await outcome(on.iterateBatches())).batches.flat();
    assert.ok(all.length === 400);
    for (const maxBytes of [128 * 1024, 200_000, 1 << 20]) {
      for (const [from, to] of [
        [undefined, undefined],
        [all[3], all[390]],
        [all[101], undefined],
      ] as const) {
        const opts = { maxBytes, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
        const a = await outcome(on.iterateBatches(opts));
        const b = await outcome(offReader.iterateBatches(opts));
        assert.equal(a, b, `maxBytes ${maxBytes}, from ${from}, to ${to}`);
        assert.is(a.error, null);
      }
    }
    const it: string[] = [];
    for await (const r of on.iterate()) it.push(`${r.offset}:${r.payload.length}`);
    const itOff: string[] = [];
    for await (const r of offReader.iterate()) itOff.push(`${r.offset}:${r.payload.length}`);
    assert.equal(it, itOff);
    await offReader.close();
    await on.close();
  } finally {
    cleanup();
  }
});

test('damage in a block read ahead: the records before it come first, then the same CorruptionError', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await filled(dir);
    const j = await Journal.open(dir);
    const records = (await outcome(j.iterateBatches({ maxBytes: 128 * 1024 }))).batches.flat();
    const seg = j.segments.segments[1]!;
    await j.close();
    // A payload byte of a record well inside the second segment (in its third block or later).
    const victim = records.find((o) => o > seg.base + 400_000 && o < seg.end - 100_000)!;
    const file = `${dir}/${seg.name}`;
    const bytes = readFileSync(file);
    bytes[32 + (victim - seg.base) + 40]! ^= 0x01;
    writeFileSync(file, bytes);
    for (const maxBytes of [128 * 1024, 1 << 20]) {
      const on = await Journal.openReader(dir);
      const off = await Journal.openReader(dir, { io: noReadAhead() });
      const a = await outcome(on.iterateBatches({ maxBytes }));
      const b = await outcome(off.iterateBatches({ maxBytes }));
      assert.equal(a, b, `maxBytes ${maxBytes}`);
      assert.is(a.error?.name, 'CorruptionError');
      assert.is(a.error?.position, 32 + (victim - seg.base));
      assert.is(a.batches.flat().at(-1), records[records.indexOf(victim) - 1], 'every record before the damaged one');
      await on.close();
      await off.close();
    }
    // The same through iterate().
    const r = await Journal.openReader(dir);
    let n = 0;
    let error: unknown;
    try {
      for await (const rec of r.iterate()) n += rec.offset < victim ? 1 : 0;
    } catch (err) {
      error = err;
    }
    assert.instance(error, CorruptionError);
    assert.is(n, records.indexOf(victim));
    await r.close();
  } finally {
    cleanup();
  }
});

test('a read on the pool that fails: its error comes at the step that needs the block, after the batches before', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await filled(dir);
    const base = defaultIO();
    if (!base.preadStart) return; // no addon: nothing is read ahead
    let started = 0;
    const io: JournalIO = {
      ...base,
      preadStart(fd, buf, position): PendingRead {
        const read = base.preadStart!(fd, buf, position);
        if (++started !== 3) return read;
        return {
          wait() {
            read.wait();
            throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
          },
        };
      },
    };
    const reader = await Journal.openReader(dir, { io });
    const a = await outcome(reader.iterateBatches({ maxBytes: 128 * 1024 }));
    assert.is(a.error?.code, 'EIO');
    assert.is(started, 3, 'nothing read ahead past the failed read');
    // Every batch before the failed block, as a reader without read-ahead yields them.
    const off = await Journal.openReader(dir, { io: noReadAhead() });
    const full = await outcome(off.iterateBatches({ maxBytes: 128 * 1024 }));
    assert.ok(a.batches.length >= 3 && a.batches.length < full.batches.length);
    assert.equal(a.batches, full.batches.slice(0, a.batches.length));
    await off.close();
    await reader.close();
  } finally {
    cleanup();
  }
});

test('breaking out, or closing, with a read in flight: segments released, the journal still usable', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await filled(dir);
    const j = await Journal.open(dir, { segmentBytes: 1 << 20 });
    // From the second record: the first (300 KB) is larger than a block and comes alone, unread ahead.
    const from = (await outcome(j.iterateBatches({ maxBytes: 128 * 1024 }))).batches[1]![0]!;
    for await (const b of j.iterateBatches({ from, maxBytes: 128 * 1024 })) {
      assert.ok(b.length > 0);
      break; // the second block is being read ahead now
    }
    assert.ok(
      j.segments.segments.every((s) => s.pins === 0),
      'released after break',
    );
    // Dropped mid-way without return(): the read ends and the pin goes when the iterator is collected.
    const it = j.iterate();
    await it.next();
    const counted = (await outcome(j.iterateBatches())).batches.flat().length;
    assert.is(counted, 400);
    // Closing while an iterator waits mid-segment, its next block read ahead.
    const open = j.iterateBatches({ from, maxBytes: 128 * 1024 });
    await open.next();
    await j.close();
    await open.return(undefined);
    const again = await Journal.open(dir);
    assert.is((await outcome(again.iterateBatches())).batches.flat().length, 400);
    await again.close();
  } finally {
    cleanup();
  }
});

test.run();
