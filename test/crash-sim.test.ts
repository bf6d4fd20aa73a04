// @both-backends — crash simulation property test: seeded random workloads on the real Journal over the simulated
// disk (test/helpers/sim-disk.ts), crashed, killed or closed at random points and reopened, again
// and again; see test/helpers/sim-workload.ts for what every reopen checks.
//
// Env knobs:
//   CRASH_CASES=n     cases per durability mode test (default 200: 600 in all; 60 on the wasm backend)
//   CRASH_FROM=s      first seed (default 1); seed s runs in the test of mode ['group','each','none'][s % 3]
//   CRASH_SEED=s      run only seed s (and print its summary)
//   CRASH_TRACE=1     with CRASH_SEED: print every workload event and disk operation
//   CRASH_KILLS=0     leave out process kills (page cache survives)
//   CRASH_FAULTS=0    leave out injected EIO/ENOSPC
//   CRASH_DIR_ORDER=any  a crash keeps any subset of unsynced directory changes, not a prefix
//   CRASH_MAX_FAILS=n stop a mode after n failing seeds (default 5; the first 3 print their last events)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal, backend } from '../src/index.js';
import { SimDisk } from './helpers/sim-disk.js';
import { equalBytes, payloadFor } from './helpers/tmp.js';
import { CaseFailure, runCrashCase, type CaseSummary } from './helpers/sim-workload.js';
import type { Durability } from '../src/journal/write/commit.js';

const env = process.env;
const CASES = Number(env.CRASH_CASES ?? (backend === 'wasm' ? 60 : 200));
const FROM = Number(env.CRASH_FROM ?? 1);
const ONE = env.CRASH_SEED !== undefined ? Number(env.CRASH_SEED) : null;
const TRACE = env.CRASH_TRACE === '1';
const MAX_FAILS = Number(env.CRASH_MAX_FAILS ?? 5);
const families = {
  kills: env.CRASH_KILLS !== '0',
  faults: env.CRASH_FAULTS !== '0',
  dirOrder: env.CRASH_DIR_ORDER === 'any' ? ('any' as const) : ('prefix' as const),
};
const MODES: readonly Durability[] = ['group', 'each', 'none'];

function seedsFor(mode: number): number[] {
  if (ONE !== null) return ONE % 3 === mode ? [ONE] : [];
  const out: number[] = [];
  // Seeds FROM, FROM+1, ... of this mode (s % 3 === mode) until CASES of them.
  for (let s = FROM; out.length < CASES; s++) if (s % 3 === mode) out.push(s);
  return out;
}

for (const [m, durability] of MODES.entries()) {
  const seeds = seedsFor(m);
  if (seeds.length === 0) continue;
  test(`crash simulation, durability '${durability}': ${seeds.length} seeded cases from seed ${seeds[0]} (${backend})`, async () => {
    const t0 = Date.now();
    const failures: CaseFailure[] = [];
    const total: Omit<CaseSummary, 'seed' | 'durability'> = {
      generations: 0,
      appends: 0,
      acked: 0,
      crashes: 0,
      kills: 0,
      closes: 0,
      openCrashes: 0,
      faults: 0,
      torn: 0,
    };
    let ran = 0;
    for (const seed of seeds) {
      ran++;
      try {
        const s = await runCrashCase(seed, { durability, ...families, trace: TRACE });
        for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += s[k];
        if (ONE !== null) console.log(s);
      } catch (err) {
        if (!(err instanceof CaseFailure)) throw err;
        failures.push(err);
        // The first failures in full (events included), later ones as one line each.
        console.error(failures.length <= 3 ? `\nFAILED ${err.message}\n` : `FAILED ${err.message.split('\n')[0]}`);
        if (failures.length >= MAX_FAILS) break;
      }
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `  ${durability}: ${ran} of ${seeds.length} cases in ${secs} s${failures.length ? `, ${failures.length} failed` : ''}: ${JSON.stringify(total)}`,
    );
    assert.is(
      failures.length,
      0,
      `${failures.length} failing seeds (${failures.map((f) => f.seed).join(', ')}); first:\n${failures[0]?.message.split('\n')[0]}`,
    );
  });
}

// Deterministic scenarios behind most failing seeds when kills and faults are on (see the report).

test('kill before a sync, reopen, power loss: what the reopened journal declared durable is still there', async () => {
  const disk = new SimDisk({ seed: 11 });
  disk.mkdirp('/k');
  const opts = { segmentBytes: 64 * 1024, syncIntervalMs: 0 };
  const j = await Journal.open('/k', { ...opts, io: disk.process() });
  for (let i = 0; i < 3; i++) await j.append(payloadFor(i, 200));
  // The process dies after the next batch's write, before its fdatasync: the bytes are in the page cache.
  disk.crashAfterOps(1, 'kill', /^sync .*\.wal$/);
  const x = payloadFor(99, 300);
  void j.append(x).catch(() => {});
  await disk.whenCrashed();
  const j2 = await Journal.open('/k', { ...opts, io: disk.process() });
  const found = await j2.read(j2.nextOffset - 340);
  assert.ok(found && equalBytes(found.payload, x), 'after the kill the written record is there (page cache)');
  const declared = j2.durableOffset; // "Everything below this offset survives a crash."
  await j2.close();
  disk.crash({ mode: 'none' }); // power loss: unsynced data is gone
  const j3 = await Journal.open('/k', { ...opts, io: disk.process() }).catch((e: Error) => {
    throw new Error(`reopen after the power loss failed: ${e.message}`);
  });
  try {
    assert.ok(
      j3.nextOffset >= declared,
      `the journal declared [0, ${declared}) durable after the kill, but after a power loss it ends at ${j3.nextOffset}: Journal.open published the watermark without fdatasync of the tail it found`,
    );
  } finally {
    await j3.close();
  }
});

test('kill between a segment rename and its directory fsync, reopen, append: the acknowledged record survives a power loss', async () => {
  const disk = new SimDisk({ seed: 12 });
  disk.mkdirp('/r');
  const opts = { segmentBytes: 1024, syncIntervalMs: 0 };
  const j = await Journal.open('/r', { ...opts, io: disk.process() });
  for (let i = 0; i < 4; i++) await j.append(payloadFor(i, 200)); // 4 x 240 bytes: the next one rotates
  disk.crashAfterOps(1, 'kill', /^fsyncDir /); // dies inside segments.create(), after the rename
  void j.append(payloadFor(4, 200)).catch(() => {});
  await disk.whenCrashed();
  const j2 = await Journal.open('/r', { ...opts, io: disk.process() });
  const y = payloadFor(5, 100);
  const ack = await j2.append(y); // acknowledged: fdatasync returned
  await j2.close();
  disk.crash({ mode: 'all', dirs: 'none' }); // file data kept; directory changes never fsynced are lost
  const j3 = await Journal.open('/r', { ...opts, io: disk.process() });
  try {
    const got = await j3.read(ack.offset).catch(() => null);
    assert.ok(
      got && equalBytes(got.payload, y),
      `the record acknowledged at ${ack.offset} is gone after a power loss (journal now ends at ${j3.nextOffset}): the reopened journal appended into a segment whose directory entry was never fsynced (directory now: ${disk.list('/r').join(', ')})`,
    );
  } finally {
    await j3.close();
  }
});

test.run();
