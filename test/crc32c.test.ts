// @both-backends — CRC32C known answers, chaining and argument checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, backend } from '../src/hash/index.js';
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

test('Buffer and Uint8Array views give the same result', () => {
  const b = Buffer.from('hello, journal');
  assert.is(crc32c(b), crc32c(new Uint8Array(b)));
});

test('bad arguments are TypeError/RangeError with a clear message', () => {
  assert.throws(() => crc32c('abc' as unknown as Uint8Array), (e: Error) => e instanceof TypeError && /data must be a Uint8Array/.test(e.message));
  assert.throws(() => crc32c(new Uint16Array(4) as unknown as Uint8Array), TypeError);
  assert.throws(() => crc32c(null as unknown as Uint8Array), TypeError);
  assert.throws(() => crc32c(new Uint8Array(1), -1), (e: Error) => e instanceof RangeError && /seed/.test(e.message));
  assert.throws(() => crc32c(new Uint8Array(1), 1.5), RangeError);
  assert.throws(() => crc32c(new Uint8Array(1), 2 ** 32), RangeError);
  assert.throws(() => crc32c(new Uint8Array(1), '1' as unknown as number), TypeError);
  const ab = new ArrayBuffer(8);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  assert.throws(() => crc32c(view), (e: Error) => e instanceof TypeError && /detached/.test(e.message));
});

test.run();
