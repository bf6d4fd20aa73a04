// Real processes: a writer in 'group' mode is SIGKILLed at random moments; on reopen every
// acknowledged record is intact and appending continues after the recovered end.
// KILL_CASES (default 20) sets the number of kills; KILL_SEED the RNG seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { spawnTs, lines } from './helpers/child.js';
import { rng } from './helpers/vectors.js';

const cases = Number(process.env.KILL_CASES ?? 20);
const seed = Number(process.env.KILL_SEED ?? Date.now() % 100000);

test(`${cases} SIGKILLs of a group-commit writer lose no acknowledged record (seed ${seed})`, async () => {
  const { dir, cleanup } = tempDir();
  const next = rng(seed);
  const acked = new Map<number, { offset: number; len: number }>();
  try {
    let recovered = 0;
    let truncations = 0;
    for (let k = 0; k < cases; k++) {
      const child = spawnTs('child-writer.ts', [dir, 'group', String(1 + Math.floor(next() * 32)), String(64 * 1024), '', String(k * 1_000_000)]);
      // The kill's clock starts at the open or, in half the runs, at the first ack: so on a
      // slow host (an emulated CPU) kills still land among acknowledged appends.
      const clockAt = next() < 0.5 ? 'open' : 'ack';
      const delay = 5 + Math.floor(next() * 150);
      let killAfter: NodeJS.Timeout | undefined;
      const exit = lines(child, (l) => {
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(l);
        if (!killAfter && (clockAt === 'open' ? l.startsWith('open ') : m)) killAfter = setTimeout(() => child.kill('SIGKILL'), delay);
        if (m) acked.set(+m[1]!, { offset: +m[2]!, len: +m[3]! });
      });
      const { signal } = await exit;
      clearTimeout(killAfter);
      assert.is(signal, 'SIGKILL', `run ${k} was killed (seed ${seed})`);
      const j = await Journal.open(dir, { segmentBytes: 64 * 1024 });
      if (j.recovery.truncatedAt !== null) truncations++;
      let maxNext = 0;
      for (const [i, a] of acked) {
        const rec = await j.read(a.offset);
        assert.ok(rec, `acked record ${i} at ${a.offset} missing after kill ${k} (seed ${seed})`);
        assert.ok(equalBytes(rec!.payload, payloadFor(i, a.len)), `acked record ${i} differs (seed ${seed})`);
        maxNext = Math.max(maxNext, rec!.next);
      }
      assert.ok(j.nextOffset >= maxNext, 'appending continues after the recovered end');
      const probe = await j.append(payloadFor(-1 - k, 7));
      assert.is(probe.offset, j.recovery.end);
      acked.set(-1 - k, { offset: probe.offset, len: 7 });
      recovered++;
      await j.close();
    }
    assert.is(recovered, cases);
    assert.ok(acked.size > cases, `acknowledged ${acked.size} records`);
    console.log(`  ${acked.size} acknowledged records across ${cases} kills, ${truncations} torn tails truncated`);
  } finally {
    cleanup();
  }
});

test.run();
