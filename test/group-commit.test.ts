// Group commit: consecutive offsets under concurrency, shared syncs, modes, ordering, monotonic durableOffset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';

test('1000 concurrent appends resolve with consecutive offsets and all read back', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 64 * 1024 });
    const payloads = Array.from({ length: 1000 }, (_, i) => payloadFor(i, (i * 31) % 400));
    const results = await Promise.all(payloads.map((p) => j.append(p)));
    let expect = 0;
    results.forEach((r, i) => {
      assert.is(r.offset, expect, `record ${i}`);
      expect = r.next;
    });
    for (let i = 0; i < payloads.length; i++) assert.ok(equalBytes((await j.read(results[i]!.offset))!.payload, payloads[i]!));
    assert.is(j.durableOffset, expect);
    await j.close();
  } finally {
    cleanup();
  }
});

test('64 concurrent appenders share syncs: syncs <= appends / 8', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    let appends = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        for (let k = 0; k < 40; k++) {
          await j.append(payloadFor(w * 1000 + k, 128));
          appends++;
        }
      }),
    );
    const s = j.stats();
    assert.is(appends, 2560);
    assert.ok(s.syncs <= appends / 8, `syncs ${s.syncs} for ${appends} appends`);
    assert.is(s.records, appends);
    assert.ok(Object.keys(s.recordsPerSync).length > 0);
    assert.ok(s.syncLatencyMicros.p50 > 0 && s.syncLatencyMicros.max >= s.syncLatencyMicros.p99);
    await j.close();
  } finally {
    cleanup();
  }
});

test("'each' syncs once per append call; 'none' syncs only on sync()/close", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const each = await Journal.open(dir + '/each', { durability: 'each' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => each.append(payloadFor(i, 10))));
    assert.is(each.stats().syncs, 20);
    assert.is(each.stats().durability, 'each');
    await each.close();

    const none = await Journal.open(dir + '/none', { durability: 'none', syncIntervalMs: 0 });
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => none.append(payloadFor(i, 10))));
    assert.is(none.stats().syncs, 0);
    assert.is(none.durableOffset, 0, 'nothing durable before sync()');
    assert.ok(await none.read(rs[5]!.offset), 'acknowledged records are readable by the writer');
    await none.sync();
    assert.is(none.stats().syncs, 1);
    assert.is(none.durableOffset, rs[19]!.next);
    await none.close();
    const reopened = await Journal.open(dir + '/none');
    assert.is(reopened.nextOffset, rs[19]!.next);
    await reopened.close();
  } finally {
    cleanup();
  }
});

test('resolution follows call order and durableOffset only moves forward', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 4096 });
    const order: number[] = [];
    const seen: number[] = [];
    const promises = Array.from({ length: 300 }, (_, i) =>
      j.append(payloadFor(i, (i * 13) % 900)).then((r) => {
        order.push(i);
        seen.push(j.durableOffset);
        assert.ok(j.durableOffset >= r.next, 'resolved only once durable');
      }),
    );
    await Promise.all(promises);
    assert.equal(
      order,
      Array.from({ length: 300 }, (_, i) => i),
    );
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!);
    await j.close();
  } finally {
    cleanup();
  }
});

test('maxBatchBytes bounds a batch; maxDelayMicros gathers more per sync', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const small = await Journal.open(dir + '/a', { maxBatchBytes: 1000 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => small.append(payloadFor(i, 160))));
    assert.ok(small.stats().batches >= 10, `batches ${small.stats().batches}`);
    await small.close();
    const delayed = await Journal.open(dir + '/b', { maxDelayMicros: 5000 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => delayed.append(payloadFor(i, 16))));
    assert.ok(delayed.stats().syncs <= 2, `syncs ${delayed.stats().syncs}`);
    await delayed.close();
  } finally {
    cleanup();
  }
});

test('pollMicros: checked like every option; 0 (never poll) and the default both commit', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const refused = async (pollMicros: unknown): Promise<unknown> =>
      Journal.open(dir, { pollMicros: pollMicros as number }).then(
        () => null,
        (e: unknown) => e,
      );
    assert.instance(await refused('5'), TypeError);
    assert.instance(await refused(-1), RangeError);
    assert.instance(await refused(1.5), RangeError);
    assert.instance(await refused(1_000_001), RangeError);
    for (const [i, pollMicros] of [0, 1000, 1_000_000].entries()) {
      const j = await Journal.open(`${dir}/${i}`, { pollMicros, durability: i === 1 ? 'none' : 'group' });
      const rs = await Promise.all(Array.from({ length: 100 }, (_, k) => j.append(payloadFor(k, 50))));
      await j.close();
      const j2 = await Journal.open(`${dir}/${i}`);
      assert.is(j2.recovery.recordsValid, 100);
      assert.ok(equalBytes((await j2.read(rs[99]!.offset))!.payload, payloadFor(99, 50)));
      await j2.close();
    }
  } finally {
    cleanup();
  }
});

test('a batch crossing segment boundaries rotates correctly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    const payloads = Array.from({ length: 200 }, (_, i) => payloadFor(i, 300));
    const rs = await j.appendBatch(payloads);
    assert.ok(j.stats().segments >= 30);
    await j.close();
    const j2 = await Journal.open(dir, { segmentBytes: 2048, verifyAll: true });
    assert.is(j2.recovery.recordsValid, 200);
    for (let i = 0; i < 200; i += 17) assert.ok(equalBytes((await j2.read(rs[i]!.offset))!.payload, payloads[i]!));
    await j2.close();
  } finally {
    cleanup();
  }
});

test.run();
