// @both-backends — append() and appendBatch() take the payload's bytes at the call: a caller may reuse its buffer at once (below 64 KiB).
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

test.run();
