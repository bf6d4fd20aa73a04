// iterate() (src/journal/read/records.ts): one record per step out of iterateBatches(), behaving
// as an async generator would: calls answered in order, return()/throw() end it and release its segment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';

async function filled(dir: string): Promise<Journal> {
  const j = await Journal.open(dir, { segmentBytes: 1 << 20 });
  for (let i = 0; i < 400; i += 50) await j.appendBatch(Array.from({ length: 50 }, (_, k) => payloadFor(i + k, 1 + (((i + k) * 7919) % 20_000))));
  return j;
}

test('iterate(): calls answered in order, also when several are pending; return() and throw() end it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir);
    const offsets: number[] = [];
    for await (const b of j.iterateBatches()) offsets.push(...b.map((r) => r.offset));
    const it = j.iterate();
    // Ten calls at once, across the end of the first batch: each gets the next record.
    const first = await Promise.all(Array.from({ length: 10 }, () => it.next()));
    assert.equal(
      first.map((r) => (r.done ? -1 : r.value.offset)),
      offsets.slice(0, 10),
    );
    const many = await Promise.all(Array.from({ length: 300 }, () => it.next()));
    assert.equal(
      many.map((r) => (r.done ? -1 : r.value.offset)),
      offsets.slice(10, 310),
    );
    const [ret, after] = await Promise.all([it.return('x'), it.next()]);
    assert.equal(ret, { value: 'x', done: true });
    assert.equal(after, { value: undefined, done: true });
    assert.ok(j.segments.segments.every((s) => s.pins === 0));

    const it2 = j.iterate();
    await it2.next();
    const boom = new Error('boom');
    await it2.throw(boom).then(
      () => assert.unreachable('throw() resolves'),
      (err: unknown) => assert.is(err, boom),
    );
    assert.equal(await it2.next(), { value: undefined, done: true });
    assert.ok(j.segments.segments.every((s) => s.pins === 0));
    assert.is(it2[Symbol.asyncIterator](), it2);
    await j.close();
  } finally {
    cleanup();
  }
});

test("a reader's iterate() takes its range at the first step, as a generator did", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await filled(dir);
    const r = await Journal.openReader(dir);
    const it = r.iterate();
    await j.append(payloadFor(400, 10)); // durable ('group') before append() resolves
    let n = 0;
    for await (const rec of it) n += rec.payload.length > 0 ? 1 : 0;
    assert.is(n, 401);
    await r.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test.run();
