// @both-backends — append() and appendBatch() take the payload's bytes at the call (laid out as frames then): a caller may reuse its buffer at once, whatever its size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';

const text = (b: Uint8Array) => Buffer.from(b).toString();

for (const durability of ['group', 'none'] as const) {
  test(`ten un-awaited appends of one reused Buffer store what it held at each call (${durability})`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const j = await Journal.open(dir, { durability });
      const buf = Buffer.alloc(5);
      const pending = [];
      for (let i = 0; i < 10; i++) {
        buf.write(`msg-${i}`);
        pending.push(j.append(buf));
      }
      const results = await Promise.all(pending);
      const stored = [];
      for (const r of results) stored.push(text((await j.read(r.offset))!.payload));
      assert.equal(
        stored,
        Array.from({ length: 10 }, (_, i) => `msg-${i}`),
      );
      await j.close();
    } finally {
      cleanup();
    }
  });
}

test('appendBatch: payloads changed after the call are stored as they were at the call', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    const blocker = j.append(new Uint8Array(100)); // a batch in flight, so the next one waits in the queue
    const a = new Uint8Array([1, 2, 3]);
    const b = Buffer.from('bbbb');
    const batch = j.appendBatch([a, b, a]);
    a.fill(9);
    b.write('XXXX');
    await blocker;
    const res = await batch;
    assert.equal(Array.from((await j.read(res[0]!.offset))!.payload), [1, 2, 3]);
    assert.is(text((await j.read(res[1]!.offset))!.payload), 'bbbb');
    assert.equal(Array.from((await j.read(res[2]!.offset))!.payload), [1, 2, 3]);
    await j.close();
  } finally {
    cleanup();
  }
});

test('payloads of any size (past 64 KiB and past one arena buffer) are taken at the call', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { maxRecordBytes: 4 << 20 });
    const blocker = j.append(new Uint8Array(100)); // a batch in flight: what follows waits in the queue
    const sizes = [100_000, 3 << 20, 70_000, 900_000, 500_000];
    const bufs = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
    const pending = bufs.map((b) => j.append(b));
    const batch = j.appendBatch(bufs);
    for (const b of bufs) b.fill(0xee);
    await blocker;
    const single = await Promise.all(pending);
    const batched = await batch;
    for (const [i, r] of [...single, ...batched].entries()) {
      const payload = (await j.read(r.offset))!.payload;
      const k = i % sizes.length;
      assert.is(payload.length, sizes[k]);
      assert.ok(
        payload.every((x) => x === k + 1),
        `record ${i}`,
      );
    }
    await j.close();
  } finally {
    cleanup();
  }
});

test('many queued appends filling several arena buffers keep their order and bytes across rotations', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 300_000 });
    const blocker = j.append(new Uint8Array(10));
    const payload = (i: number) => new Uint8Array(1000 + (i % 7) * 900).fill(i & 0xff);
    const pending = [];
    for (let i = 0; i < 1500; i++) pending.push(i % 3 === 0 ? j.appendBatch([payload(i), payload(i + 1)]) : j.append(payload(i)));
    await blocker;
    const results = (await Promise.all(pending)).flatMap((r) => (Array.isArray(r) ? r : [r]));
    for (let k = 1; k < results.length; k++) assert.is(results[k]!.offset, results[k - 1]!.next);
    assert.ok(j.stats().segments > 5, `segments ${j.stats().segments}`);
    await j.close();
    const j2 = await Journal.open(dir, { segmentBytes: 300_000, verifyAll: true });
    let k = 0;
    for (let i = 0; i < 1500; i++) {
      const want = i % 3 === 0 ? [payload(i), payload(i + 1)] : [payload(i)];
      for (const w of want) {
        const got = (await j2.read(results[k++]!.offset))!.payload;
        assert.ok(got.length === w.length && got[0] === w[0] && got[got.length - 1] === w[w.length - 1], `record ${k}`);
      }
    }
    await j2.close();
  } finally {
    cleanup();
  }
});

test('arena bytes reused after their batches are written never reach the disk in place of queued frames', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const durability of ['none', 'group'] as const) {
      const sub = `${dir}/${durability}`;
      const j = await Journal.open(sub, { durability, maxBatchBytes: 48 << 10 });
      const payload = (i: number) => new Uint8Array(50 + ((i * 7919) % 30_000)).fill(i & 0xff);
      const offsets: number[] = [];
      const wants: number[] = [];
      let i = 0;
      for (let round = 0; round < 40; round++) {
        // Bursts that cross buffer boundaries while batches are in flight (retired buffers with
        // bytes outstanding), then awaited calls alone (the current buffer starts over).
        const burst = [];
        for (let k = 0; k < 1 + (round % 9) * 12; k++) burst.push(k % 4 === 0 ? j.appendBatch([payload(i++), payload(i++)]) : j.append(payload(i++)));
        for (const r of await Promise.all(burst)) for (const x of Array.isArray(r) ? r : [r]) offsets.push(x.offset);
        offsets.push((await j.append(payload(i++))).offset);
        for (const r of await j.appendBatch([payload(i++), payload(i++), payload(i++)])) offsets.push(r.offset);
      }
      // Appenders that append again as soon as their record is written, in batches capped
      // small, so calls sit queued behind a batch in flight when its bytes are released.
      const loops = Array.from({ length: 16 }, async (_, w) => {
        for (let n = 0; n < 60; n++) {
          const k = i++;
          offsets[k] = (await j.append(payload(k + w))).offset;
          wants[k] = k + w;
        }
      });
      await Promise.all(loops);
      await j.close();
      const j2 = await Journal.open(sub, { verifyAll: true });
      for (const [k, offset] of offsets.entries()) {
        const got = (await j2.read(offset))!.payload;
        const want = payload(wants[k] ?? k);
        assert.ok(got.length === want.length && got.every((x) => x === want[0]), `${durability} record ${k}`);
      }
      await j2.close();
    }
  } finally {
    cleanup();
  }
});

test.run();
