// The search for the next frame that verifies after damage (recovery's resync): the native and
// wasm paths agree with a plain byte-by-byte search on garbage full of plausible length fields,
// with frames planted at their own offsets (found), at other offsets (not found: offset binding),
// and as v2 frames; and the CRC shift it rests on equals CRC32C of a concatenation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { native, nativeBinding, wasm } from './helpers/backends.js';
import type { HashBackend } from '../src/hash/backend.js';
import { crc32cShift } from '../src/hash/crc-shift.js';
import { crc32c } from '../src/hash/index.js';
import { frameAt as frame } from './helpers/frame.js';
import { rng, randomBytes } from './helpers/vectors.js';

const next = rng(14);

test('crc32cShift: crc32c(a ‖ b) = shift(crc32c(a), |b|) ^ crc32c(b)', () => {
  for (let t = 0; t < 60; t++) {
    const a = randomBytes(1 + ((next() * 300) | 0), next);
    const b = randomBytes(t < 4 ? (1 << 20) + ((next() * 5000) | 0) : 1 + ((next() * 5000) | 0), next);
    const ab = new Uint8Array(a.length + b.length);
    ab.set(a);
    ab.set(b, a.length);
    assert.is((crc32cShift(crc32c(a), b.length) ^ crc32c(b)) >>> 0, crc32c(ab), `|a| ${a.length} |b| ${b.length}`);
  }
});

/** The first p >= from where one frame verifies, by verifying at every position (the definition). */
function bruteForce(be: HashBackend, buf: Uint8Array, from: number, offset: number | null): number {
  for (let p = from; p + 40 <= buf.length; p++) {
    if (be.verifyFrames(buf, p, buf.length, 0xffffffff, 1, offset === null ? null : offset + p).count === 1) return p;
  }
  return -1;
}

function search(be: HashBackend, buf: Uint8Array, from: number, offset: number | null, step: number): number {
  const cps = new Uint32Array(Math.floor(buf.length / step) + 1);
  be.crc32cCheckpoints(buf, step, cps);
  return be.findFrame(buf, from, cps, step, offset);
}

/** Garbage whose every 4-byte window is a plausible small length (the case that was quadratic). */
function plausibleGarbage(n: number): Uint8Array {
  const g = randomBytes(n, next);
  for (let i = 2; i < n; i += 4) ((g[i] = 0), (g[i + 1] = 0));
  return g;
}

test('native, wasm and a byte-by-byte search agree on where the next frame starts', () => {
  const base = 1_000_000;
  for (let t = 0; t < 24; t++) {
    const version: 'v2' | 'v3' = t % 3 === 0 ? 'v2' : 'v3';
    const offset = version === 'v3' ? base : null;
    const buf = t % 2 === 0 ? plausibleGarbage(6000) : randomBytes(6000, next);
    if (t % 4 === 1) buf.fill(0, 1000, 3000); // zeros in the middle
    const at = 200 + ((next() * 4000) | 0);
    const payload = randomBytes(1 + ((next() * 600) | 0), next);
    // Planted: at its own offset (found), or bound to another offset (must not be found).
    const wrongPlace = t % 5 === 4 && version === 'v3';
    const f = frame(payload, version === 'v3' ? base + at + (wrongPlace ? 40 : 0) : null);
    buf.set(f.subarray(0, Math.min(f.length, buf.length - at)), at);
    const from = (next() * 150) | 0;
    const want = bruteForce(native, buf, from, offset);
    if (!wrongPlace && at + f.length <= buf.length) assert.ok(want >= 0 && want <= at, `case ${t}: the planted frame is a candidate`);
    if (wrongPlace) assert.is.not(want, at, `case ${t}: a frame bound elsewhere was found`);
    for (const step of [64, 32, 7]) {
      assert.is(search(native, buf, from, offset, step), want, `case ${t} native step ${step}`);
      assert.is(search(wasm, buf, from, offset, step), want, `case ${t} wasm step ${step}`);
    }
  }
});

test('bad arguments to the native search are errors, not crashes', () => {
  const b = nativeBinding() as unknown as { findFrame: (...a: unknown[]) => number; crc32cCheckpoints: (...a: unknown[]) => void };
  const buf = new Uint8Array(100);
  assert.throws(() => b.crc32cCheckpoints(buf, 0, new Uint32Array(200)), RangeError);
  assert.throws(() => b.crc32cCheckpoints(buf, 64, new Uint32Array(1)), RangeError);
  assert.throws(() => b.crc32cCheckpoints(buf, 64, [0, 0]), TypeError);
  assert.throws(() => b.findFrame(buf, 0, new Uint32Array(1), 64), RangeError);
  assert.throws(() => b.findFrame(buf, 0, new Uint32Array(3), 0), RangeError);
  assert.throws(() => b.findFrame('x', 0, new Uint32Array(3), 64), TypeError);
  assert.throws(() => b.findFrame(buf, 0, new Uint32Array(3), 64, -1), RangeError);
  assert.is(search(native, buf, 500, null, 64), -1);
});

test.run();
