// @both-backends — CRC32C known answers, chaining and argument checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, backend, hashBackend } from '../src/hash/index.js';
import { SMALL_CRC_BYTES, crc32cSmallJs } from '../src/hash/crc-small.js';
import { crcVectors, fromHex, rng, randomBytes, crc32cReference } from './helpers/vectors.js';

test(`every vector in crc32c_vectors.json (${backend})`, () => {
  assert.ok(crcVectors.cases.length >= 6);
  for (const c of crcVectors.cases) {
    assert.is(crc32c(fromHex(c.input_hex)), Number.parseInt(c.crc32c, 16), c.name);
  }
});

test('matches a bit-at-a-time reference for lengths 0..600 at every alignment 0..15', () => {
  const next = rng(1);
  const big = randomBytes(700, next);
  for (let len = 0; len <= 600; len++) {
    const off = len % 16;
    const view = big.subarray(off, off + len);
    assert.is(crc32c(view), crc32cReference(view), `len ${len} off ${off}`);
  }
});

test('seed continues a running CRC: crc32c(b, crc32c(a)) === crc32c(a ‖ b)', () => {
  const next = rng(2);
  for (let i = 0; i < 200; i++) {
    const data = randomBytes((next() * 5000) | 0, next);
    const cut = (next() * (data.length + 1)) | 0;
    const whole = crc32c(data);
    assert.is(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole, `cut ${cut} of ${data.length}`);
  }
  const seed = 0xdeadbeef;
  const d = randomBytes(77, next);
  assert.is(crc32c(d, seed), crc32cReference(d, seed));
});

test(`in-process path (JS and WebAssembly) equals the ${backend} backend: lengths 0..200, random seeds, unaligned views`, () => {
  assert.ok(SMALL_CRC_BYTES < 200);
  const next = rng(3);
  const pool = randomBytes(300, next);
  for (let len = 0; len <= 200; len++) {
    for (let k = 0; k < 4; k++) {
      const off = (len * 7 + k * 13) % 64; // every alignment, odd ones included
      const view = k === 3 ? Buffer.from(pool.buffer, off, len) : pool.subarray(off, off + len);
      const seed = k === 0 ? 0 : (next() * 2 ** 32) >>> 0;
      const want = hashBackend.crc32c(view, seed);
      assert.is(crc32c(view, seed), want, `crc32c len ${len} off ${off} seed ${seed}`);
      assert.is(crc32cSmallJs(view, seed), want, `JS path len ${len} off ${off} seed ${seed}`);
      if (len % 8 === 0) assert.is(want, crc32cReference(view, seed), `reference len ${len} seed ${seed}`);
    }
  }
});

test('Buffer and Uint8Array views give the same result', () => {
  const b = Buffer.from('hello, journal');
  assert.is(crc32c(b), crc32c(new Uint8Array(b)));
});

test('bad arguments are TypeError/RangeError with a clear message', () => {
  assert.throws(
    () => crc32c('abc' as unknown as Uint8Array),
    (e: Error) => e instanceof TypeError && /data must be a Uint8Array/.test(e.message),
  );
  assert.throws(() => crc32c(new Uint16Array(4) as unknown as Uint8Array), TypeError);
  assert.throws(() => crc32c(null as unknown as Uint8Array), TypeError);
  assert.throws(
    () => crc32c(new Uint8Array(1), -1),
    (e: Error) => e instanceof RangeError && /seed/.test(e.message),
  );
  assert.throws(() => crc32c(new Uint8Array(1), 1.5), RangeError);
  assert.throws(() => crc32c(new Uint8Array(1), 2 ** 32), RangeError);
  assert.throws(() => crc32c(new Uint8Array(1), '1' as unknown as number), TypeError);
  const ab = new ArrayBuffer(8);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  assert.throws(
    () => crc32c(view),
    (e: Error) => e instanceof TypeError && /detached/.test(e.message),
  );
});

test.run();
