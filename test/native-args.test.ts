// The raw addon refuses wrong argument types with TypeError/RangeError, never a crash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeBinding } from './helpers/backends.js';

const b = nativeBinding() as unknown as Record<string, (...args: unknown[]) => unknown>;
const garbage: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  NaN,
  'str',
  {},
  [],
  () => 0,
  Symbol('s'),
  10n,
  new Uint16Array(2),
  new DataView(new ArrayBuffer(4)),
  new Float64Array(1),
];

test('every hash function survives every garbage argument in every position', () => {
  const fns = [
    'crc32c',
    'blake3',
    'blake3Async',
    'hasherCreate',
    'hasherUpdate',
    'hasherDigest',
    'hasherCopy',
    'frameBatch',
    'sealFrames',
    'verifyFrames',
    'blake3SetImpl',
  ];
  let threw = 0;
  for (const name of fns) {
    const fn = b[name]!;
    assert.type(fn, 'function', name);
    for (let pos = 0; pos < 6; pos++) {
      for (const g of garbage) {
        const args: unknown[] = [new Uint8Array(64), new Uint8Array(32), 0, 0, 0, new Float64Array(3)];
        args[pos] = g;
        try {
          const r = fn(...args);
          if (r instanceof Promise) r.catch(() => {});
        } catch (e) {
          assert.ok(e instanceof TypeError || e instanceof RangeError || e instanceof Error, `${name} arg ${pos}`);
          threw++;
        }
      }
    }
    assert.not.throws(() => {
      try {
        fn();
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
    });
  }
  assert.ok(threw > 100);
});

test('typed errors: crc32c wrong types and ranges', () => {
  assert.throws(() => b.crc32c!('x', 0), TypeError);
  assert.throws(() => b.crc32c!(new Uint8Array(1), -1), RangeError);
  assert.throws(() => b.crc32c!(new Uint8Array(1), 'x'), TypeError);
  assert.throws(() => b.blake3!(new Uint8Array(1), new Uint8Array(32), 1, new Uint8Array(31)), RangeError);
  assert.throws(() => b.hasherUpdate!({}, new Uint8Array(1)), TypeError);
  assert.throws(() => b.verifyFrames!(new Uint8Array(8), 4, 2, 0, 0, new Float64Array(3)), RangeError);
  assert.throws(() => b.frameBatch!(new Uint8Array(1), Uint32Array.of(5), new Uint8Array(32), new Uint32Array(1)), RangeError);
});

test.run();
