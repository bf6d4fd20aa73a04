/**
 * The search for the next frame that verifies, in TypeScript: the wasm backend's
 * version of native/frames/find_frame.cc (same method, same results).
 *
 * Testing each position by computing its frame's CRC from scratch costs the frame's
 * length, so garbage holding many plausible length fields made a byte-by-byte search
 * quadratic. Instead the running CRC32C of the buffer is kept every `step` bytes
 * (checkpoints); the CRC of any byte range then follows from two prefix CRCs and a
 * shift by x^(8n) mod P (crc-shift.ts), so one candidate costs O(step + log len)
 * whatever its length. Only a candidate whose CRC matches has its BLAKE3 checked.
 */
import { FRAME_CRC_AT, FRAME_HASH_AT, FRAME_HEADER, FRAME_LEN_AT } from '../format/frame.js';
import type { FrameOffset, FrameWalk } from './backend.js';
import { CRC_BYTE_TABLE as T, crc32cRangeJs } from './crc-small.js';
import { crc32cShift } from './crc-shift.js';

/** out[i] = CRC32C of buf[0, i * step), for i = 0 .. floor(buf.length / step). */
export function crc32cCheckpointsJs(buf: Uint8Array, step: number, out: Uint32Array): void {
  let crc = 0;
  out[0] = 0;
  const last = Math.floor(buf.length / step);
  for (let i = 1; i <= last; i++) {
    crc = crc32cRangeJs(buf, (i - 1) * step, i * step, crc);
    out[i] = crc;
  }
}

type VerifyOne = (buf: Uint8Array, start: number, end: number, offset: FrameOffset) => FrameWalk;

/**
 * The first position p >= from with p + 40 <= buf.length where a whole frame verifies
 * (length within buf, CRC32C bound to offset + p when offset is given, BLAKE3), or -1.
 */
export function findFrameJs(verify: VerifyOne, buf: Uint8Array, from: number, checkpoints: Uint32Array, step: number, offset: FrameOffset): number {
  const n = buf.length;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const crcTo = (i: number): number => {
    const k = Math.floor(i / step);
    const at = k * step;
    return at === i ? checkpoints[k]! : crc32cRangeJs(buf, at, i, checkpoints[k]!);
  };
  for (let q = from; q + FRAME_HEADER <= n; q++) {
    const left = n - q - FRAME_HEADER;
    // A cheap first test on the length's top byte (most garbage fails it), then the length.
    if (buf[q + FRAME_LEN_AT + 3]! > left >>> 24) continue;
    const len = view.getUint32(q + FRAME_LEN_AT, true);
    if (len > left) continue; // a frame fits in what is left
    const stored = view.getUint32(q + FRAME_CRC_AT, true);
    if (len === 0 && stored === 0) continue; // zeros: unwritten space, never a frame
    const at = offset === null ? null : offset + q;
    // crc32c(prefix ‖ buf[h, e)) from prefix CRCs, h = q + FRAME_HASH_AT: shift(p ^ c(h), e-h) ^ c(e).
    const e = q + FRAME_HEADER + len;
    const h = q + FRAME_HASH_AT;
    const crc = (crc32cShift(prefixCrc(at, len) ^ crcTo(h), e - h) ^ crcTo(e)) >>> 0;
    if (crc === stored && verify(buf, q, e, at).count === 1) return q;
  }
  return -1;
}

/** CRC32C of a frame's CRC prefix (docs/format.md): offset as u64 LE (v3 only), then len as u32 LE. */
function prefixCrc(offset: FrameOffset, len: number): number {
  let c = -1;
  if (offset !== null) {
    c = crcWord(c, offset % 0x100000000);
    c = crcWord(c, Math.floor(offset / 0x100000000));
  }
  return ~crcWord(c, len) >>> 0;
}

/** The CRC register after the 4 bytes of `w` (LE). */
function crcWord(c: number, w: number): number {
  c ^= w;
  c = T[c & 0xff]! ^ (c >>> 8);
  c = T[c & 0xff]! ^ (c >>> 8);
  c = T[c & 0xff]! ^ (c >>> 8);
  return T[c & 0xff]! ^ (c >>> 8);
}
