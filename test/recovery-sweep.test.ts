// @both-backends — byte-level recovery sweeps on a 3-segment journal (simulated disk): every
// truncation length of the tail segment and a flip of every byte (a sample on a large journal),
// for every policy, with the durable watermark at the end, in the middle of the tail, and missing;
// the outcome must match the policy table (docs/durability.md) exactly and no read may ever return
// a wrong payload. A few cases rerun on real files through the default IO.
//
// Env knobs: SWEEP_LARGE=1 (a ~200 KiB journal; SWEEP_SAMPLE truncation lengths and flipped bytes, default 1500),
// SWEEP_FULL=1 (every byte under all three watermark variants, not one in rotation),
// SWEEP_SEED=n (journal contents and flip values; default 7), SWEEP_STRIDE=n (every n-th length and
// byte; default 1, 3 on the wasm backend).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, backend } from '../src/index.js';
import { CorruptionError } from '../src/errors.js';
import { encodeWatermark } from '../src/format/watermark.js';
import type { RecoveryPolicy } from '../src/journal/recovery/types.js';
import { DIR, HEADER, POLICIES, applyDamage, buildJournal, expected, runAndCheck, setWatermark, type Damage, type Layout } from './helpers/sim-sweep.js';
import { equalBytes, tempDir } from './helpers/tmp.js';
import { rng } from './helpers/vectors.js';

const LARGE = process.env.SWEEP_LARGE === '1';
const SEED = Number(process.env.SWEEP_SEED ?? 7);
const SAMPLE = Number(process.env.SWEEP_SAMPLE ?? 1500);
const FULL = process.env.SWEEP_FULL === '1';
// The second (wasm) run of `npm test` takes every 3rd length/byte; the native run takes all.
const STRIDE = Number(process.env.SWEEP_STRIDE ?? (backend === 'wasm' && !FULL && !LARGE ? 3 : 1));

const layout: Layout = LARGE ? await buildJournal(SEED, 96 * 1024, 4000) : await buildJournal(SEED, 1024, 120);
const tail = layout.segs[layout.segs.length - 1]!;
// A crafted watermark in the middle of the tail: as if the last batches were never acknowledged.
const midWm = tail.records[Math.floor(tail.records.length / 2)]!.offset;
const WMS: Array<{ name: string; value: number | null }> = [
  { name: 'watermark at the end', value: layout.end },
  { name: 'watermark mid-tail', value: midWm },
  { name: 'watermark missing', value: null },
];

function describeLayout(): string {
  return layout.segs.map((s) => `${s.name}: ${s.records.length} records, ${HEADER + s.end - s.base} bytes`).join('; ');
}

const silentLoss: string[] = [];
const gapStart: string[] = [];

test(`layout: ${LARGE ? 'large' : 'small'} 3-segment journal (${backend}${STRIDE > 1 ? `, every ${STRIDE}th length/byte` : ''})`, () => {
  assert.is(layout.segs.length, 3, describeLayout());
  for (const s of layout.segs) assert.ok(s.records.length >= 3, describeLayout());
  console.log(`  ${describeLayout()}; end ${layout.end}; mid watermark ${midWm}`);
});

test('every truncation length of the tail segment, every policy, watermark at end / mid-tail / missing', async () => {
  const size = HEADER + tail.end - tail.base;
  const lengths: number[] = [];
  for (let L = 0; L <= size; L++) lengths.push(L);
  const pick = LARGE
    ? lengths.filter((L, k) => L < 100 || L > size - 100 || k % Math.ceil(size / SAMPLE) === 0)
    : lengths.filter((L) => L % STRIDE === 0 || L < 48 || L > size - 48);
  let cases = 0;
  for (const L of pick) {
    for (const wm of WMS) {
      for (const policy of POLICIES) {
        layout.disk.restore(layout.pristine);
        setWatermark(layout, wm.value);
        const damage: Damage = { seg: layout.segs.length - 1, kind: 'truncate', at: L };
        const original = applyDamage(layout, damage);
        const exp = expected(layout, damage, policy, wm.value, false, original);
        const deep = L % 7 === 0 || L > size - 50;
        const out = await runAndCheck(layout, exp, policy, false, `tail truncated to ${L} bytes, ${wm.name}`, deep, policy === POLICIES[L % 4]);
        if (out.silentLoss && policy === 'tolerate-tail')
          silentLoss.push(`tail truncated to ${L} of ${size} bytes (${wm.name}): opened with end ${(exp as { end: number }).end} < watermark ${wm.value}`);
        cases++;
      }
    }
  }
  assert.ok(
    layout.disk.stats.maxPreadBytes <= layout.maxFile + 64,
    `a read asked for ${layout.disk.stats.maxPreadBytes} bytes (largest file ${layout.maxFile})`,
  );
  console.log(`  ${cases} truncation cases`);
});

test('a flip of each byte of each segment (a sample on the large journal), every policy, verifyAll on and off', async () => {
  const r = rng(SEED * 31 + 1);
  let cases = 0;
  const positions: Array<{ seg: number; at: number }> = [];
  for (const [i, s] of layout.segs.entries()) for (let at = 0; at < HEADER + s.end - s.base; at++) positions.push({ seg: i, at });
  const chosen = LARGE ? positions.filter(() => r() < SAMPLE / positions.length) : positions.filter((p) => p.at % STRIDE === 0 || p.at < HEADER + 8);
  for (const [k, pos] of chosen.entries()) {
    const xor = 1 + Math.floor(r() * 255);
    const damage: Damage = { seg: pos.seg, kind: 'flip', at: pos.at, xor };
    const label = `byte ${pos.at} of ${layout.segs[pos.seg]!.name} ^= 0x${xor.toString(16)}`;
    const configs: Array<{ wm: (typeof WMS)[number]; policy: RecoveryPolicy; scanAll: boolean }> = [];
    // Every byte under every policy; the watermark variant rotates per byte (all three with SWEEP_FULL).
    for (const wm of FULL ? WMS : [WMS[k % 3]!]) for (const policy of POLICIES) configs.push({ wm, policy, scanAll: true });
    configs.push({ wm: WMS[(k + 1) % 3]!, policy: POLICIES[k % 4]!, scanAll: false });
    for (const [c, cfg] of configs.entries()) {
      layout.disk.restore(layout.pristine);
      setWatermark(layout, cfg.wm.value);
      const original = applyDamage(layout, damage);
      const exp = expected(layout, damage, cfg.policy, cfg.wm.value, cfg.scanAll, original);
      const out = await runAndCheck(layout, exp, cfg.policy, cfg.scanAll, `${label}, ${cfg.wm.name}`, (k + c) % 11 === 0, (k + c) % 5 === 0);
      if (out.gapStartError) gapStart.push(out.gapStartError);
      cases++;
    }
  }
  assert.ok(
    layout.disk.stats.maxPreadBytes <= layout.maxFile + 64,
    `a read asked for ${layout.disk.stats.maxPreadBytes} bytes (largest file ${layout.maxFile}): a length field was trusted`,
  );
  console.log(`  ${cases} flip cases over ${chosen.length} bytes`);
});

test('the watermark file itself flipped, truncated, garbage or missing never loses acknowledged data', async () => {
  const all = layout.segs.flatMap((s) => s.records);
  const variants: Array<{ name: string; bytes: Uint8Array | null }> = [{ name: 'missing', bytes: null }];
  const good = encodeWatermark(layout.end);
  for (let b = 0; b < 16; b++)
    for (const x of [0x01, 0x80, 0xff]) {
      const v = good.slice();
      v[b]! ^= x;
      variants.push({ name: `byte ${b} ^= 0x${x.toString(16)}`, bytes: v });
    }
  for (let L = 0; L < 16; L++) variants.push({ name: `truncated to ${L} bytes`, bytes: good.slice(0, L) });
  variants.push({ name: 'all 0xa5', bytes: new Uint8Array(16).fill(0xa5) }, { name: '32 bytes', bytes: new Uint8Array([...good, ...good]) });
  for (const v of variants) {
    for (const policy of POLICIES) {
      layout.disk.restore(layout.pristine);
      if (v.bytes === null) layout.disk.removeFile(`${DIR}/durable`);
      else layout.disk.writeFile(`${DIR}/durable`, v.bytes);
      const j = await Journal.open(DIR, { io: layout.disk, recovery: policy, verifyAll: true }).catch((e: Error) => {
        throw new Error(`watermark ${v.name}, policy ${policy}: open failed: ${e.message}`);
      });
      try {
        assert.is(j.nextOffset, layout.end, `watermark ${v.name}, ${policy}: end`);
        assert.is(j.recovery.truncatedAt, null, `watermark ${v.name}, ${policy}: nothing cut`);
        let n = 0;
        for await (const rec of j.iterate()) {
          assert.ok(rec.offset === all[n]!.offset && equalBytes(rec.payload, all[n]!.payload), `watermark ${v.name}: record ${n}`);
          n++;
        }
        assert.is(n, all.length);
      } finally {
        await j.close();
      }
    }
  }
});

test('a tail cut at a record boundary below the durable watermark is not accepted silently (acknowledged records missing)', () => {
  // The journal wrote the watermark after fsyncs that covered these records; a tail file that now
  // ends below it, at a record boundary, lost acknowledged data exactly as a cut one byte later
  // does, which recovery refuses as corruption (bad bytes below the watermark).
  assert.is(
    silentLoss.length,
    0,
    `${silentLoss.length} truncations of the tail below the watermark opened with 'tolerate-tail' as if nothing were wrong, e.g.:\n  ${silentLoss.slice(0, 3).join('\n  ')}`,
  );
});

test('salvage: a read at the first offset of a skipped region fails with OFFSET_SKIPPED (docs/durability.md), not as corruption', () => {
  // read(gap.from + 1) and read(gap.to - 1) do fail with OFFSET_SKIPPED; read(gap.from) reports the
  // skipped damaged record as CorruptionError, so a caller cannot tell a known, skipped region from
  // new damage.
  assert.is(gapStart.length, 0, `${gapStart.length} salvage cases, e.g.:\n  ${gapStart.slice(0, 2).join('\n  ')}`);
});

test('real files through the default IO agree with the simulated sweep (sampled)', async () => {
  const r = rng(SEED * 7 + 3);
  const { dir, cleanup } = tempDir('stemedb-sweep-');
  try {
    const src = join(dir, 'pristine');
    mkdirSync(src);
    for (const [name, bytes] of layout.disk.dump(DIR)) if (name !== 'LOCK' && !name.startsWith('LOCK')) writeFileSync(join(src, name), bytes);
    for (let k = 0; k < 40; k++) {
      const seg = Math.floor(r() * 3);
      const s = layout.segs[seg]!;
      const size = HEADER + s.end - s.base;
      const damage: Damage =
        k % 2 === 0 || seg !== 2
          ? { seg, kind: 'flip', at: Math.floor(r() * size), xor: 1 + Math.floor(r() * 255) }
          : { seg, kind: 'truncate', at: Math.floor(r() * size) };
      const wm = WMS[k % 3]!;
      const policy = POLICIES[Math.floor(r() * 4)]!;
      const work = join(dir, `case-${k}`);
      mkdirSync(work);
      for (const name of readdirSync(src)) writeFileSync(join(work, name), readFileSync(join(src, name)));
      if (wm.value === null) rmSync(join(work, 'durable'));
      else writeFileSync(join(work, 'durable'), encodeWatermark(wm.value));
      const original = new Uint8Array(readFileSync(join(work, s.name)));
      const b = original.slice();
      if (damage.kind === 'flip') b[damage.at]! ^= damage.xor!;
      writeFileSync(join(work, s.name), damage.kind === 'flip' ? b : b.subarray(0, damage.at));
      const exp = expected(layout, damage, policy, wm.value, true, original);
      const label = `real fs: ${damage.kind} ${damage.at} of ${s.name}, ${wm.name}, ${policy}`;
      let j: Journal | null = null;
      let err: Error | null = null;
      try {
        j = await Journal.open(work, { recovery: policy, verifyAll: true });
      } catch (e) {
        err = e as Error;
      }
      try {
        if (exp.kind === 'bad-segment') assert.is((err as { code?: string } | null)?.code, 'BAD_SEGMENT', label);
        else if (exp.kind === 'refuse') {
          assert.instance(err, CorruptionError, `${label}: ${err?.message}`);
          assert.is((err as CorruptionError).position, exp.position, label);
        } else {
          assert.ok(j, `${label}: ${err?.message}`);
          assert.is(j!.nextOffset, exp.end, label);
          assert.is(j!.recovery.truncatedAt, exp.cut, label);
          assert.is(j!.recovery.recordsDropped, exp.dropped, label);
          const got: Array<{ offset: number; payload: Uint8Array }> = [];
          for await (const rec of j!.iterate()) got.push({ offset: rec.offset, payload: rec.payload.slice() });
          assert.is(got.length, exp.keep.length, label);
          got.forEach((g, n) => assert.ok(g.offset === exp.keep[n]!.offset && equalBytes(g.payload, exp.keep[n]!.payload), `${label}: record ${n}`));
        }
      } finally {
        await j?.close();
      }
    }
  } finally {
    cleanup();
  }
});

test.run();
