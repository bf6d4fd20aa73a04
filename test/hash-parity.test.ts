// Native and wasm backends agree on random inputs; every native SIMD path agrees with the portable one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { native, wasm, nativeBinding } from './helpers/backends.js';
import { Blake3Mode } from '../src/hash/backend.js';
import { createWasmHash } from '../src/hash/wasm.js';
import { hex, rng, randomBytes } from './helpers/vectors.js';

const next = rng(6);
const pool = randomBytes((16 << 20) + 64, next);

function h(backend: typeof native, data: Uint8Array, len = 32, mode = Blake3Mode.Plain, k?: Uint8Array | string) {
  const out = new Uint8Array(len);
  backend.blake3(data, out, mode, k);
  return hex(out);
}

test(`native is ${native.impl.crc32c} / ${native.impl.blake3}`, () => {
  assert.is(native.name, 'native');
  assert.is(wasm.name, 'wasm');
});

test('every length 0..3000 with unaligned subarray views: crc32c and blake3 agree', () => {
  for (let len = 0; len <= 3000; len++) {
    const off = (len * 7) % 61;
    const view = pool.subarray(off, off + len);
    const seed = len % 3 === 0 ? 0 : (len * 2654435761) >>> 0;
    assert.is(native.crc32c(view, seed), wasm.crc32c(view, seed), `crc len ${len}`);
    assert.is(h(native, view), h(wasm, view), `blake3 len ${len}`);
  }
});

test('the wasm backend before hash-wasm is ready (its JavaScript paths) agrees with native, then switches', async () => {
  const early = createWasmHash();
  assert.match(early.impl.crc32c, /JavaScript/);
  for (const len of [0, 1, 31, 64, 1000, 4097, 70000]) {
    const view = pool.subarray(5, 5 + len);
    assert.is(early.crc32c(view, 7), native.crc32c(view, 7), `crc len ${len}`);
    assert.is(h(early, view), h(native, view), `blake3 len ${len}`);
  }
  const lengths = Uint32Array.from([10, 200, 3000]);
  const data = pool.subarray(0, 3210);
  const mk = () => ({ hashes: new Uint8Array(96), crcs: new Uint32Array(3) });
  for (const offset of [null, 0, 2 ** 32 + 40]) {
    // v2 frames, and v3 frames bound to their offsets
    const [a, b] = [mk(), mk()];
    early.frameBatch(data, lengths, a.hashes, a.crcs, offset);
    native.frameBatch(data, lengths, b.hashes, b.crcs, offset);
    assert.is(hex(a.hashes), hex(b.hashes));
    assert.equal([...a.crcs], [...b.crcs], `frame CRCs, offset ${offset}`);
  }
  await early.ready();
  assert.is(early.impl.crc32c, 'hash-wasm');
});

test('selected lengths up to 16 MiB agree', () => {
  const lens = [4095, 4096, 4097, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1, 3 * 1024 * 1024 + 5, 16 << 20];
  for (const len of lens) {
    const view = pool.subarray(3, 3 + len);
    assert.is(native.crc32c(view, 0), wasm.crc32c(view, 0), `crc ${len}`);
    assert.is(h(native, view), h(wasm, view), `blake3 ${len}`);
  }
});

test('keyed, derive-key and extended outputs agree', () => {
  const key = randomBytes(32, next);
  for (const len of [0, 1, 64, 1024, 1025, 9000, 70000]) {
    const view = pool.subarray(1, 1 + len);
    assert.is(h(native, view, 32, Blake3Mode.Keyed, key), h(wasm, view, 32, Blake3Mode.Keyed, key));
    assert.is(h(native, view, 32, Blake3Mode.DeriveKey, 'ctx ✓'), h(wasm, view, 32, Blake3Mode.DeriveKey, 'ctx ✓'));
    assert.is(h(native, view, 1000), h(wasm, view, 1000));
  }
});

test('each BLAKE3 SIMD path equals the portable path (paths this CPU lacks are skipped by name)', () => {
  // The path every CPU of the architecture has must be among them: SSE4.1 on x64, NEON on arm64.
  const baseline = ({ x64: 'sse41', arm64: 'neon' } as Record<string, string>)[process.arch];
  const b = nativeBinding();
  const lens = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 4097, 8191, 16 * 1024 + 1, 100_000, (1 << 20) + 3];
  assert.ok(b.blake3SetImpl('portable'));
  const expect = lens.map((n) => h(native, pool.subarray(5, 5 + n)));
  const batch = Array.from({ length: 77 }, (_, i) => pool.subarray(i, i + ((i * 37) % 2100)));
  const batchExpect = batch.map((p) => h(native, p));
  const tried: string[] = [];
  for (const path of ['sse41', 'avx2', 'avx512', 'neon']) {
    if (!b.blake3SetImpl(path)) continue;
    tried.push(path);
    lens.forEach((n, i) => assert.is(h(native, pool.subarray(5, 5 + n)), expect[i], `${path} len ${n}`));
    const lengths = Uint32Array.from(batch.map((p) => p.length));
    const data = new Uint8Array(lengths.reduce((a, n) => a + n, 0));
    let o = 0;
    for (const p of batch) {
      data.set(p, o);
      o += p.length;
    }
    const hashes = new Uint8Array(batch.length * 32);
    native.frameBatch(data, lengths, hashes, new Uint32Array(batch.length), null);
    batch.forEach((_, i) => assert.is(hex(hashes.subarray(i * 32, i * 32 + 32)), batchExpect[i], `${path} batch ${i}`));
  }
  b.blake3SetImpl('auto');
  if (baseline) assert.ok(tried.includes(baseline), `no ${baseline} path on ${process.arch} (tried: ${tried.join(', ') || 'none'})`);
});

test('frame batch, seal and verify agree between backends', () => {
  const payloads = Array.from({ length: 200 }, (_, i) => pool.subarray(i, i + ((i * 131) % 5000)));
  const lengths = Uint32Array.from(payloads.map((p) => p.length));
  const data = new Uint8Array(lengths.reduce((a, n) => a + n, 0));
  let o = 0;
  for (const p of payloads) {
    data.set(p, o);
    o += p.length;
  }
  // v2 (unbound) and v3 (bound to offsets, including ones above 2^32).
  for (const offset of [null, 0, 40, 2 ** 32 - 7, 2 ** 52 + 3]) {
    const outs = [native, wasm].map((be) => {
      const hashes = new Uint8Array(payloads.length * 32);
      const crcs = new Uint32Array(payloads.length);
      be.frameBatch(data, lengths, hashes, crcs, offset);
      const frames = new Uint8Array(data.length + 40 * payloads.length);
      const view = new DataView(frames.buffer);
      let p = 0;
      for (const pl of payloads) {
        view.setUint32(p, pl.length, true);
        frames.set(pl, p + 40);
        p += 40 + pl.length;
      }
      be.sealFrames(frames, payloads.length, undefined, offset);
      const walk = be.verifyFrames(frames, 0, frames.length, 0xffffffff, 1e9, offset);
      const other = be.verifyFrames(frames, 0, frames.length, 0xffffffff, 1e9, offset === null ? 0 : null);
      return [hex(hashes), Array.from(crcs), hex(frames), walk.count, other.count];
    });
    assert.equal(outs[0], outs[1], `offset ${offset}`);
    assert.is(outs[0]![3], payloads.length);
    assert.is(outs[0]![4], 0);
  }
});

test.run();
