// The bench harness's concurrent loop (benches/lib/timing.ts runFor): it counts every settled op,
// and a failing op ends every loop, so no loop keeps running after runFor has rejected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runFor } from '../benches/lib/timing.js';

test('runFor counts one record per settled op, over every loop', async () => {
  const started = new Set<number>();
  let settled = 0;
  const r = await runFor(30, 4, async (w) => {
    started.add(w);
    await new Promise((res) => setTimeout(res, 1));
    settled++;
  });
  assert.is(r.ops, settled);
  assert.equal([...started].sort(), [0, 1, 2, 3]);
  assert.ok(r.seconds >= 0.03, `ran ${r.seconds} s`);
});

test('a failing op rejects runFor and stops the other loops too (also when loop 0 fails)', async () => {
  let calls = 0;
  const failed = runFor(60_000, 3, async (w) => {
    calls++;
    await new Promise((res) => setTimeout(res, 1));
    if (w === 0 && calls > 6) throw new Error('disk on fire');
  });
  await failed.catch((err: Error) => assert.match(err.message, /disk on fire/));
  const after = calls;
  await new Promise((res) => setTimeout(res, 30));
  assert.is(calls - after, 0, 'no loop starts another op after the failure');
});

test.run();
