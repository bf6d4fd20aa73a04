// The BLAKE3 path per size class is picked by timing at first use (native/blake3/blake3_dispatch.cc):
// whatever it picks must give the portable path's bytes, every forced path must still be honoured,
// and hashInfo() must name real paths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { native, nativeBinding } from './helpers/backends.js';
import { Blake3Mode } from '../src/hash/backend.js';
import { blake3Vectors, blake3Input, hex, rng, randomBytes } from './helpers/vectors.js';

const b = nativeBinding();
const pool = randomBytes((1 << 20) + 4200, rng(16));
const key = new TextEncoder().encode(blake3Vectors.key);
// Every length across the block and chunk classes and the first trees, then the larger size classes.
const lens = [...Array.from({ length: 2100 }, (_, i) => i), 4095, 4096, 4097, 16 * 1024, 16 * 1024 + 1, 65536, 70000, (1 << 20) + 3];
const allPaths = ['portable', 'sse41', 'avx2', 'avx512', 'neon'];

function h(data: Uint8Array, len = 32, mode = Blake3Mode.Plain, k?: Uint8Array | string): string {
  const out = new Uint8Array(len);
  native.blake3(data, out, mode, k);
  return hex(out);
}

function streamed(data: Uint8Array, split: number): string {
  const s = native.createHasher(Blake3Mode.Keyed, key);
  for (let o = 0; o < data.length; o += split) s.update(data.subarray(o, o + split));
  const out = new Uint8Array(40);
  s.digest(out, 3);
  return hex(out);
}

/** Hashes of every length (views at odd offsets), long outputs, keyed streaming, on the current path. */
function fingerprint(): string[] {
  const out: string[] = [];
  for (const n of lens) {
    const off = (n * 7) % 61;
    out.push(h(pool.subarray(off, off + n)));
    if (n % 97 === 0 || n > 2048) out.push(h(pool.subarray(off, off + n), 131), streamed(pool.subarray(off, off + n), 1 + (n % 700)));
  }
  return out;
}

const available = (): string[] => allPaths.filter((p) => b.blake3SetImpl(p));

test('hashInfo names a path for each size class, each one this CPU can force', () => {
  const paths = available();
  b.blake3SetImpl('auto');
  const info = b.hashInfo();
  assert.ok(paths.includes('portable'), 'the portable path is always there');
  assert.equal(Object.keys(info.blake3Paths).sort(), ['block', 'chunk', 'tree']);
  assert.ok(paths.includes(info.blake3Paths.block), info.blake3Paths.block);
  assert.ok(paths.includes(info.blake3Paths.chunk), info.blake3Paths.chunk);
  // The tree path is "<lanes>" (that level's own single-block kernel) or "<lanes>+<single-block>",
  // the latter the chunk class's.
  const [lanes, single, ...rest] = info.blake3Paths.tree.split('+');
  assert.is(rest.length, 0);
  assert.ok(paths.includes(lanes!), info.blake3Paths.tree);
  if (single !== undefined) assert.is(single, info.blake3Paths.chunk);
  assert.is(info.blake3, info.blake3Paths.tree);
});

test('the calibrated paths give the portable bytes for every size class, keyed streaming and long outputs', () => {
  assert.ok(b.blake3SetImpl('portable'));
  const expect = fingerprint();
  b.blake3SetImpl('auto');
  const got = fingerprint();
  assert.is(got.length, expect.length);
  got.forEach((g, i) => assert.is(g, expect[i], `item ${i}`));
});

test('forcing each path is honoured in every size class, matches the vectors, and auto restores the calibration', () => {
  b.blake3SetImpl('auto');
  const calibrated = b.hashInfo().blake3Paths;
  const tried: string[] = [];
  for (const path of allPaths) {
    if (!b.blake3SetImpl(path)) {
      assert.equal(b.hashInfo().blake3Paths, calibrated, `a refused ${path} changes nothing`);
      continue;
    }
    tried.push(path);
    assert.equal(b.hashInfo().blake3Paths, { block: path, chunk: path, tree: path });
    for (const c of blake3Vectors.cases) assert.is(h(blake3Input(c.input_len), c.hash.length / 2), c.hash, `${path} ${c.input_len}`);
    b.blake3SetImpl('auto');
  }
  assert.ok(tried.length >= 2 || process.arch !== 'x64', `tried: ${tried.join(', ')}`);
  assert.not.ok(b.blake3SetImpl('avx1024'));
  assert.equal(b.hashInfo().blake3Paths, calibrated);
});

test.run();
