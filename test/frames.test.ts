// @both-backends — batch hashing of many payloads and the frame verifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blake3, crc32c, hashFrames, verifyFrames, hashBackend } from '../src/hash/index.js';
import { hex, rng, randomBytes } from './helpers/vectors.js';

/** Builds v2 frames the slow way, from the public per-payload functions. */
function frameOf(payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(40 + payload.length);
  const v = new DataView(f.buffer);
  v.setUint32(0, payload.length, true);
  const h = blake3(payload);
  f.set(h, 8);
  f.set(payload, 40);
  v.setUint32(4, crc32c(f.subarray(40), crc32c(h, crc32c(f.subarray(0, 4)))), true);
  return f;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const next = rng(5);
const payloads = Array.from({ length: 300 }, (_, i) => randomBytes(i < 10 ? i : (next() * 3000) | 0, next));

test('hashFrames(array) equals per-payload blake3 and frame CRC', () => {
  const { hashes, crcs } = hashFrames(payloads);
  payloads.forEach((p, i) => {
    const f = frameOf(p);
    assert.is(hex(hashes.subarray(i * 32, i * 32 + 32)), hex(blake3(p)), `hash ${i}`);
    assert.is(crcs[i], new DataView(f.buffer).getUint32(4, true), `crc ${i}`);
  });
});

test('hashFrames({ data, lengths }) equals the array form', () => {
  const data = concat(payloads);
  const lengths = Uint32Array.from(payloads.map((p) => p.length));
  const a = hashFrames(payloads);
  const b = hashFrames({ data, lengths });
  assert.is(hex(b.hashes), hex(a.hashes));
  assert.equal(Array.from(b.crcs), Array.from(a.crcs));
  assert.equal(hashFrames([]).crcs.length, 0);
});

test('sealFrames fills headers exactly like the per-payload construction', () => {
  const expected = concat(payloads.map(frameOf));
  const buf = new Uint8Array(expected.length);
  let o = 0;
  for (const p of payloads) {
    new DataView(buf.buffer).setUint32(o, p.length, true);
    buf.set(p, o + 40);
    o += 40 + p.length;
  }
  assert.is(hashBackend.sealFrames(buf, payloads.length), expected.length);
  assert.is(hex(buf), hex(expected));
});

test('verifyFrames accepts valid frames and stops at each kind of damage', () => {
  const frames = payloads.slice(0, 50).map(frameOf);
  const buf = concat(frames);
  const ok = verifyFrames(buf);
  assert.equal([ok.count, ok.end, ok.reason, ok.failedIndex], [50, buf.length, 'ok', -1]);
  const starts: number[] = [];
  frames.reduce((pos, f) => (starts.push(pos), pos + f.length), 0);

  const at = starts[20]!;
  const flip = (pos: number) => {
    const b = buf.slice();
    b[pos]! ^= 0x01;
    return verifyFrames(b, { maxRecordBytes: 1 << 20 });
  };
  assert.equal(pickStop(flip(at + 4)), [20, at, 'crc32c mismatch']);          // crc field
  assert.equal(pickStop(flip(at + 8)), [20, at, 'crc32c mismatch']);          // stored hash (covered by crc)
  assert.equal(pickStop(flip(at + 40 + (frames[20]!.length - 41))), [20, at, 'crc32c mismatch']); // payload
  const big = buf.slice();
  new DataView(big.buffer).setUint32(at, 0x7fffffff, true);
  assert.equal(pickStop(verifyFrames(big, { maxRecordBytes: 1 << 20 })), [20, at, 'length too large']);
  assert.equal(pickStop(verifyFrames(big)), [20, at, 'truncated payload']);
  assert.equal(pickStop(verifyFrames(buf, { end: at + 39 })), [20, at, 'truncated header']);
  assert.equal(pickStop(verifyFrames(buf, { end: at + 41 })), [20, at, 'truncated payload']);
  const zeros = concat([buf.subarray(0, at), new Uint8Array(100)]);
  assert.equal(pickStop(verifyFrames(zeros)), [20, at, 'zeros']);
  assert.equal(pickStop(verifyFrames(zeros, { end: at + 10 })), [20, at, 'zeros']);
  assert.equal(verifyFrames(buf, { maxCount: 7 }).count, 7);
  assert.is(verifyFrames(buf, { start: starts[3]!, maxCount: 2 }).end, starts[5]);
});

test('a frame whose hash is wrong but whose CRC was recomputed fails the BLAKE3 check', () => {
  const f = frameOf(randomBytes(100, next));
  f[8]! ^= 0xff;
  const v = new DataView(f.buffer);
  v.setUint32(4, crc32c(f.subarray(40), crc32c(f.subarray(8, 40), crc32c(f.subarray(0, 4)))), true);
  const buf = concat([frameOf(new Uint8Array(3)), f]);
  assert.equal(pickStop(verifyFrames(buf)), [1, 43, 'blake3 mismatch']);
});

test('the hash check is batched: a bad hash deep in a long run is found at the right index', () => {
  const many = Array.from({ length: 500 }, (_, i) => frameOf(randomBytes(i % 200, next)));
  const bad = many[333]!;
  bad[40]! ^= 1;
  new DataView(bad.buffer).setUint32(4, crc32c(bad.subarray(40), crc32c(bad.subarray(8, 40), crc32c(bad.subarray(0, 4)))), true);
  const r = verifyFrames(concat(many));
  assert.is(r.count, 333);
  assert.is(r.reason, 'blake3 mismatch');
});

test('bad arguments', () => {
  assert.throws(() => hashFrames([new Uint8Array(1), 'x' as unknown as Uint8Array]), /payloads\[1\]/);
  assert.throws(() => hashFrames({ data: new Uint8Array(3), lengths: Uint32Array.of(2, 2) }), RangeError);
  assert.throws(() => hashFrames({ data: new Uint8Array(3), lengths: [1, 2] as unknown as Uint32Array }), TypeError);
  assert.throws(() => verifyFrames(new Uint8Array(10), { start: 5, end: 4 }), RangeError);
  assert.throws(() => verifyFrames(new Uint8Array(10), { end: 11 }), RangeError);
  assert.throws(() => verifyFrames(new Uint8Array(10), { start: -1 }), RangeError);
  assert.throws(() => verifyFrames(new Uint8Array(10), { start: NaN }), RangeError);
  assert.throws(() => hashBackend.sealFrames(Uint8Array.of(200, 0, 0, 0, ...new Uint8Array(40)), 1), RangeError);
});

function pickStop(r: { count: number; end: number; reason: string }): [number, number, string] {
  return [r.count, r.end, r.reason];
}

test.run();
