// Crash simulation property test: seeded random workloads on the real Journal over the simulated
// disk (test/helpers/sim-disk.ts), crashed, killed or closed at random points and reopened, again
// and again; see test/helpers/sim-workload.ts for what every reopen checks.
//
// Env knobs:
//   CRASH_CASES=n     cases per durability mode test (default 120: 360 in all)
//   CRASH_FROM=s      first seed (default 1); seed s runs in the test of mode ['group','each','none'][s % 3]
//   CRASH_SEED=s      run only seed s (and print its summary)
//   CRASH_TRACE=1     with CRASH_SEED: print every workload event and disk operation
//   CRASH_KILLS=0     leave out process kills (page cache survives)
//   CRASH_FAULTS=0    leave out injected EIO/ENOSPC
//   CRASH_MAX_FAILS=n stop a mode after n failing seeds (default 5)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend } from '../src/index.js';
import { CaseFailure, runCrashCase, type CaseSummary } from './helpers/sim-workload.js';
import type { Durability } from '../src/journal/group-commit.js';

const env = process.env;
const CASES = Number(env.CRASH_CASES ?? 120);
const FROM = Number(env.CRASH_FROM ?? 1);
const ONE = env.CRASH_SEED !== undefined ? Number(env.CRASH_SEED) : null;
const TRACE = env.CRASH_TRACE === '1';
const MAX_FAILS = Number(env.CRASH_MAX_FAILS ?? 5);
const families = { kills: env.CRASH_KILLS !== '0', faults: env.CRASH_FAULTS !== '0' };
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
    const total: Omit<CaseSummary, 'seed' | 'durability'> = { generations: 0, appends: 0, acked: 0, crashes: 0, kills: 0, closes: 0, openCrashes: 0, faults: 0, torn: 0 };
    for (const seed of seeds) {
      try {
        const s = await runCrashCase(seed, { durability, ...families, trace: TRACE });
        for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += s[k];
        if (ONE !== null) console.log(s);
      } catch (err) {
        if (!(err instanceof CaseFailure)) throw err;
        failures.push(err);
        console.error(`\nFAILED ${err.message}\n`);
        if (failures.length >= MAX_FAILS) break;
      }
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`  ${durability}: ${seeds.length} cases in ${secs} s: ${JSON.stringify(total)}`);
    assert.is(failures.length, 0, `${failures.length} failing seeds (${failures.map((f) => f.seed).join(', ')}); first:\n${failures[0]?.message.split('\n')[0]}`);
  });
}

test.run();
