// @both-backends — BLAKE3 known answers (all modes, extended output), streaming and argument checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blake3, blake3Async, createHasher, backend } from '../src/hash/index.js';
import { blake3Vectors, blake3Input, hex, rng, randomBytes } from './helpers/vectors.js';

const key = new TextEncoder().encode(blake3Vectors.key);
const context = blake3Vectors.context_string;

test(`every case: hash, keyed_hash, derive_key, extended and 32-byte output (${backend})`, () => {
  assert.is(blake3Vectors.cases.length, 35);
  for (const c of blake3Vectors.cases) {
    const input = blake3Input(c.input_len);
    const xlen = c.hash.length / 2;
    assert.is(hex(blake3(input, { length: xlen })), c.hash, `hash ${c.input_len}`);
    assert.is(hex(blake3(input)), c.hash.slice(0, 64), `hash32 ${c.input_len}`);
    assert.is(hex(blake3(input, { key, length: xlen })), c.keyed_hash, `keyed ${c.input_len}`);
    assert.is(hex(blake3(input, { key })), c.keyed_hash.slice(0, 64), `keyed32 ${c.input_len}`);
    assert.is(hex(blake3(input, { context, length: xlen })), c.derive_key, `derive ${c.input_len}`);
    assert.is(hex(blake3(input, { context })), c.derive_key.slice(0, 64), `derive32 ${c.input_len}`);
  }
});

test('streaming in random splits equals one shot, in every mode', () => {
  const next = rng(3);
  for (let i = 0; i < 60; i++) {
    const data = randomBytes((next() * 20000) | 0, next);
    for (const opts of [undefined, { key }, { context }]) {
      const h = createHasher(opts);
      let pos = 0;
      while (pos < data.length) {
        const n = Math.min(data.length - pos, 1 + ((next() * 3000) | 0));
        h.update(data.subarray(pos, pos + n));
        pos += n;
      }
      assert.is(hex(h.digest()), hex(blake3(data, opts)), `len ${data.length}`);
    }
  }
});

test('vector cases through the streaming hasher, byte-split at chunk edges', () => {
  for (const c of blake3Vectors.cases) {
    const input = blake3Input(c.input_len);
    const h = createHasher({ key });
    for (let pos = 0; pos < input.length; pos += 1023) h.update(input.subarray(pos, pos + 1023));
    assert.is(hex(h.digest({ length: c.keyed_hash.length / 2 })), c.keyed_hash);
  }
});

test('digest with seek returns the matching slice of the extended output', () => {
  const c = blake3Vectors.cases[20]!;
  const input = blake3Input(c.input_len);
  const h = createHasher().update(input);
  for (const [seek, len] of [
    [0, 131],
    [1, 40],
    [64, 64],
    [100, 31],
  ] as const) {
    assert.is(hex(h.digest({ seek, length: len })), c.hash.slice(seek * 2, (seek + len) * 2));
  }
});

test('digest does not end the hasher; clone forks the state', () => {
  const h = createHasher().update(blake3Input(100));
  const fork = h.clone();
  h.update(blake3Input(5));
  assert.is(hex(fork.digest()), hex(blake3(blake3Input(100))));
  const both = new Uint8Array(105);
  both.set(blake3Input(100));
  both.set(blake3Input(5), 100);
  assert.is(hex(h.digest()), hex(blake3(both)));
});

test('blake3Async equals blake3 for small and large inputs', async () => {
  const next = rng(4);
  for (const n of [0, 1, 1024, 1 << 20, 3 * (1 << 20) + 17]) {
    const d = randomBytes(n, next);
    assert.is(hex(await blake3Async(d)), hex(blake3(d)));
    assert.is(hex(await blake3Async(d, { length: 77 })), hex(blake3(d, { length: 77 })));
  }
});

test('every output length 1..130 is a prefix of the long output; results are never shared buffers', () => {
  const data = new Uint8Array(300).map((_, i) => i * 7);
  const long = hex(blake3(data, { length: 130 }));
  for (let len = 1; len <= 130; len++) {
    assert.is(hex(blake3(data, { length: len })), long.slice(0, len * 2), `length ${len}`);
    const h = createHasher();
    h.update(data);
    assert.is(hex(h.digest({ length: len })), long.slice(0, len * 2), `digest length ${len}`);
  }
  // Small outputs pass through a scratch buffer: each call must return its own copy.
  const a = blake3(data);
  const aHex = hex(a);
  const b = blake3(new Uint8Array(5));
  assert.is.not(a.buffer, b.buffer);
  assert.is(hex(a), aHex);
  assert.is(a.length, 32);
  assert.is(a.byteOffset, 0);
});

test('bad arguments: TypeError/RangeError with clear messages', () => {
  assert.throws(
    () => blake3('abc' as unknown as Uint8Array),
    (e: Error) => e instanceof TypeError && /Uint8Array/.test(e.message),
  );
  assert.throws(
    () => blake3(new Uint8Array(1), { key: new Uint8Array(31) }),
    (e: Error) => e instanceof RangeError && /32 bytes/.test(e.message),
  );
  assert.throws(() => blake3(new Uint8Array(1), { key: 'k'.repeat(32) as unknown as Uint8Array }), TypeError);
  assert.throws(() => blake3(new Uint8Array(1), { context: 5 as unknown as string }), TypeError);
  assert.throws(() => blake3(new Uint8Array(1), { key, context }), TypeError);
  assert.throws(() => blake3(new Uint8Array(1), { length: 0 }), RangeError);
  assert.throws(() => blake3(new Uint8Array(1), { length: 1.5 }), RangeError);
  assert.throws(() => createHasher({ key: new Uint8Array(33) }), RangeError);
  assert.throws(() => createHasher().update([1, 2] as unknown as Uint8Array), TypeError);
  assert.throws(() => createHasher().digest({ seek: -1 }), RangeError);
  const ab = new ArrayBuffer(8);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  assert.throws(() => blake3(view), /detached/);
});

test.run();
