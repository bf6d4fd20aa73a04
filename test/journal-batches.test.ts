// iterateBatches() / followBatches(): the records of iterate()/follow(), one array per block read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Journal, CorruptionError, type JournalRecord } from '../src/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';

async function collect(batches: AsyncIterable<JournalRecord[]>): Promise<JournalRecord[][]> {
  const out: JournalRecord[][] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function filled(dir: string, count: number, len: (i: number) => number, segmentBytes = 64 * 1024): Promise<Journal> {
  const j = await Journal.open(dir, { segmentBytes });
  await j.appendBatch(Array.from({ length: count }, (_, i) => payloadFor(i, len(i))));
  return j;
}

test('batches hold every record in order, each batch within maxBytes unless one record is larger', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lens = (i: number) => (i % 17 === 0 ? 9000 : 100 + ((i * 131) % 900));
    const j = await filled(dir, 300, lens, 32 * 1024);
    const batches = await collect(j.iterateBatches({ maxBytes: 4096 }));
    const flat = batches.flat();
    assert.is(flat.length, 300);
    flat.forEach((r, i) => assert.ok(equalBytes(r.payload, payloadFor(i, lens(i))), `record ${i}`));
    for (let i = 1; i < flat.length; i++) assert.is(flat[i]!.offset, flat[i - 1]!.next);
    for (const b of batches) {
      const bytes = b[b.length - 1]!.next - b[0]!.offset;
      assert.ok(bytes <= 4096 || b.length === 1, `batch of ${b.length} records spans ${bytes} bytes`);
    }
    assert.ok(
      batches.some((b) => b.length === 1 && b[0]!.payload.length === 9000),
      'a record larger than maxBytes comes alone',
    );
    // The same records as iterate(), and one batch per 1 MiB block by default.
    const it: JournalRecord[] = [];
    for await (const r of j.iterate()) it.push(r);
    assert.equal(
      it.map((r) => r.offset),
      flat.map((r) => r.offset),
    );
    assert.ok((await collect(j.iterateBatches())).length <= j.stats().segments, 'default: one batch per segment here (segments < 1 MiB)');
    await j.close();
  } finally {
    cleanup();
  }
});

test('`to` in the middle, `from` a later record; an empty range yields nothing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir, 50, () => 200);
    const all = (await collect(j.iterateBatches())).flat();
    const part = (await collect(j.iterateBatches({ from: all[5]!.offset, to: all[20]!.offset, maxBytes: 4096 }))).flat();
    assert.equal(
      part.map((r) => r.offset),
      all.slice(5, 20).map((r) => r.offset),
    );
    // `to` inside a record: the records that start below it.
    const inside = (await collect(j.iterateBatches({ to: all[3]!.offset + 7 }))).flat();
    assert.is(inside.length, 4);
    assert.equal(await collect(j.iterateBatches({ from: all[9]!.offset, to: all[9]!.offset })), []);
    await j.close();
  } finally {
    cleanup();
  }
});

test('a corrupt frame inside a batch: the records before it come, then a CorruptionError', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir, 40, () => 500);
    const victim = (await collect(j.iterateBatches())).flat()[25]!;
    const seg = j.segments.segments[0]!;
    await j.close();
    const file = `${dir}/${seg.name}`;
    const bytes = readFileSync(file);
    bytes[32 + (victim.offset - seg.base) + 40 + 100]! ^= 0x10;
    writeFileSync(file, bytes);
    const reader = await Journal.openReader(dir);
    const got: JournalRecord[] = [];
    let error: unknown;
    try {
      for await (const b of reader.iterateBatches()) got.push(...b);
    } catch (err) {
      error = err;
    }
    assert.instance(error, CorruptionError);
    assert.is((error as CorruptionError).position, 32 + (victim.offset - seg.base));
    assert.is(got.length, 25, 'every record before the damaged one');
    await reader.close();
  } finally {
    cleanup();
  }
});

test('a torn tail past the durable end is never read; the writer cuts it at open', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir, 30, () => 300);
    const seg = j.segments.segments[j.segments.segments.length - 1]!.name;
    await j.close();
    appendFileSync(`${dir}/${seg}`, Buffer.from([200, 1, 0, 0, 9, 9, 9, 9, 1, 2, 3])); // half a frame header
    const reader = await Journal.openReader(dir);
    assert.is((await collect(reader.iterateBatches({ maxBytes: 4096 }))).flat().length, 30);
    await reader.close();
    const again = await Journal.open(dir);
    assert.is((await collect(again.iterateBatches())).flat().length, 30);
    await again.close();
  } finally {
    cleanup();
  }
});

test('breaking out of the loop releases the pinned segment', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir, 200, () => 1000, 16 * 1024);
    for await (const b of j.iterateBatches({ maxBytes: 4096 })) {
      assert.ok(b.length > 0);
      assert.ok(
        j.segments.segments.some((s) => s.pins > 0),
        'pinned while reading',
      );
      break;
    }
    assert.ok(
      j.segments.segments.every((s) => s.pins === 0),
      'released after break',
    );
    const next = j.segments.segments[3]!.base;
    const removed = await j.cleanup(next);
    assert.ok(removed.length >= 3, 'cleanup not held back by the abandoned loop');
    await j.close();
  } finally {
    cleanup();
  }
});

test('followBatches on the writer and on a reader: every record once, in order, then abort', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 8192 });
    const reader = await Journal.openReader(dir, { pollMs: 5 });
    const total = 120;
    const writing = (async () => {
      for (let i = 0; i < total; i += 10) {
        await j.appendBatch(Array.from({ length: 10 }, (_, k) => payloadFor(i + k, 300)));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    for (const source of [j, reader]) {
      const ac = new AbortController();
      const seen: JournalRecord[] = [];
      try {
        for await (const b of source.followBatches({ from: 0, signal: ac.signal, maxBytes: 4096 })) {
          assert.ok(b.length > 0);
          seen.push(...b);
          if (seen.length === total) ac.abort();
        }
        assert.unreachable('abort rejects');
      } catch (err) {
        assert.is((err as { code?: string }).code, 'ABORT_ERR');
      }
      assert.is(seen.length, total);
      seen.forEach((r, i) => assert.ok(equalBytes(r.payload, payloadFor(i, 300)), `record ${i}`));
    }
    await writing;
    await reader.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test('bad arguments: maxBytes type and bounds, unknown options, closed journal', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir, 3, () => 10);
    const code = async (it: AsyncGenerator<unknown>) => {
      try {
        await it.next();
      } catch (err) {
        return `${(err as Error).name}:${(err as { code?: string }).code}`;
      }
      return 'ok';
    };
    assert.is(await code(j.iterateBatches({ maxBytes: 4095 })), 'RangeError:ERR_OUT_OF_RANGE');
    assert.is(await code(j.iterateBatches({ maxBytes: 2 ** 30 + 1 })), 'RangeError:ERR_OUT_OF_RANGE');
    assert.is(await code(j.iterateBatches({ maxBytes: 4096.5 })), 'RangeError:ERR_OUT_OF_RANGE');
    assert.is(await code(j.iterateBatches({ maxBytes: '4096' as unknown as number })), 'TypeError:ERR_INVALID_ARG_TYPE');
    assert.is(await code(j.iterateBatches({ maxbytes: 4096 } as never)), 'TypeError:ERR_INVALID_ARG_VALUE');
    assert.is(await code(j.iterateBatches({ maxBytes: 4096 })), 'ok');
    assert.is(await code(j.iterateBatches({ maxBytes: 2 ** 30 })), 'ok');
    assert.throws(
      () => j.followBatches({ maxBytes: 0 }),
      (e: Error & { code?: string }) => e.code === 'ERR_OUT_OF_RANGE',
    );
    const reader = await Journal.openReader(dir);
    assert.is(await code(reader.iterateBatches({ maxBytes: -1 })), 'RangeError:ERR_OUT_OF_RANGE');
    assert.throws(
      () => reader.followBatches({ maxBytes: null as unknown as number }),
      (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARG_TYPE',
    );
    await reader.close();
    await j.close();
    assert.is(await code(j.iterateBatches()), 'ClosedError:CLOSED');
  } finally {
    cleanup();
  }
});

test.run();
