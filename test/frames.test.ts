// @both-backends — batch hashing of many payloads and the frame verifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blake3, crc32c, hashFrames, verifyFrames, hashBackend } from '../src/hash/index.js';
import { hex, rng, randomBytes } from './helpers/vectors.js';

/**
 * Builds a frame the slow way, from the public per-payload functions: v2 (offset
 * undefined: CRC over len, hash, payload) or v3 (CRC over the offset as u64 LE first).
 */
function frameOf(payload: Uint8Array, offset?: number): Uint8Array {
  const f = new Uint8Array(40 + payload.length);
  const v = new DataView(f.buffer);
  v.setUint32(0, payload.length, true);
  const h = blake3(payload);
  f.set(h, 8);
  f.set(payload, 40);
  let crc = 0;
  if (offset !== undefined) {
    const o = new DataView(new ArrayBuffer(8));
    o.setBigUint64(0, BigInt(offset), true);
    crc = crc32c(new Uint8Array(o.buffer));
  }
  v.setUint32(4, crc32c(f.subarray(40), crc32c(h, crc32c(f.subarray(0, 4), crc))), true);
  return f;
}

/** v3 frames laid out back to back from global offset `from`. */
function boundFrames(list: Uint8Array[], from: number): Uint8Array[] {
  let at = from;
  return list.map((p) => {
    const f = frameOf(p, at);
    at += f.length;
    return f;
  });
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
  const expected = concat(payloads.map((p) => frameOf(p)));
  const buf = new Uint8Array(expected.length);
  let o = 0;
  for (const p of payloads) {
    new DataView(buf.buffer).setUint32(o, p.length, true);
    buf.set(p, o + 40);
    o += 40 + p.length;
  }
  const v3 = buf.slice();
  assert.is(hashBackend.sealFrames(buf, payloads.length, undefined, null), expected.length);
  assert.is(hex(buf), hex(expected));
  // v3: each frame bound to its global offset, counted from the offset given for buf[0].
  const base = 2 ** 40 + 12345; // above 2^32: both halves of the u64 matter
  assert.is(hashBackend.sealFrames(v3, payloads.length, undefined, base), expected.length);
  assert.is(hex(v3), hex(concat(boundFrames(payloads, base))));
});

test('hashFrames({ offset }) gives the CRCs of v3 frames laid out from that offset', () => {
  const { crcs } = hashFrames(payloads, { offset: 777 });
  boundFrames(payloads, 777).forEach((f, i) => assert.is(crcs[i], new DataView(f.buffer).getUint32(4, true), `crc ${i}`));
  assert.throws(() => hashFrames(payloads, { offset: -1 }), RangeError);
  assert.throws(() => hashFrames(payloads, { offset: '1' as unknown as number }), TypeError);
});

test('a v3 frame verifies only at the offset it is bound to', () => {
  const frames = boundFrames(payloads.slice(10, 40), 5000);
  const buf = concat(frames);
  assert.equal(pickStop(verifyFrames(buf, { offset: 5000 })), [30, buf.length, 'ok']);
  // The same bytes at any other offset, or read as v2, fail at the first frame's CRC.
  for (const offset of [4999, 5001, 5000 + 2 ** 32]) assert.equal(pickStop(verifyFrames(buf, { offset })), [0, 0, 'crc32c mismatch']);
  assert.equal(pickStop(verifyFrames(buf)), [0, 0, 'crc32c mismatch']);
  // start > 0: `offset` is that of the frame at `start`.
  const second = frames[0]!.length;
  assert.equal(pickStop(verifyFrames(buf, { start: second, offset: 5000 + second })), [29, buf.length, 'ok']);
  // A frame image inside a payload: the inner frame was bound where it was first written.
  const inner = frameOf(payloads[20]!, 0);
  const outer = frameOf(concat([new Uint8Array(8), inner]), 0);
  assert.equal(pickStop(verifyFrames(outer, { offset: 0 })), [1, outer.length, 'ok']);
  assert.equal(pickStop(verifyFrames(outer, { start: 48, offset: 48 })).slice(0, 1), [0]);
});

test('verifyFrames accepts valid frames and stops at each kind of damage', () => {
  const frames = payloads.slice(0, 50).map((p) => frameOf(p));
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
  assert.equal(pickStop(flip(at + 4)), [20, at, 'crc32c mismatch']); // crc field
  assert.equal(pickStop(flip(at + 8)), [20, at, 'crc32c mismatch']); // stored hash (covered by crc)
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
  assert.throws(() => hashBackend.sealFrames(Uint8Array.of(200, 0, 0, 0, ...new Uint8Array(40)), 1, undefined, null), RangeError);
  assert.throws(() => verifyFrames(new Uint8Array(10), { offset: 1.5 }), RangeError);
});

function pickStop(r: { count: number; end: number; reason: string }): [number, number, string] {
  return [r.count, r.end, r.reason];
}

test.run();
