/**
 * Frame seal/verify in TypeScript over any crc32c + blake3 pair: the wasm
 * backend's version of native/frames/frames.cc, with the same stop codes.
 */
import { FRAME_CRC_AT, FRAME_HASH_AT, FRAME_HEADER, FRAME_LEN_AT, FrameStatus, HASH_BYTES } from '../format/frame.js';
import type { FrameOffset, FrameWalk } from './backend.js';
import { argRangeError } from '../validate.js';

type Hash32 = (data: Uint8Array) => Uint8Array;
/**
 * The frame CRC32C over the bound offset (u64 LE; v3 only, omitted when `offset`
 * is null), len (u32 LE), hash and payload, in that order.
 */
export type FrameCrc = (offset: FrameOffset, len: number, hash: Uint8Array, payload: Uint8Array) => number;

/** The 12-byte CRC prefix of a frame: offset (u64 LE) and len (u32 LE); returns how many bytes of `out` it used. */
export function framePrefix(out: Uint8Array, offset: FrameOffset, len: number): number {
  const view = new DataView(out.buffer, out.byteOffset, 12);
  if (offset === null) {
    view.setUint32(0, len, true);
    return 4;
  }
  view.setUint32(0, offset % 0x100000000, true);
  view.setUint32(4, Math.floor(offset / 0x100000000), true);
  view.setUint32(8, len, true);
  return 12;
}

const at = (offset: FrameOffset, delta: number): FrameOffset => (offset === null ? null : offset + delta);

export function sealFramesJs(frameCrc: FrameCrc, hash32: Hash32, buf: Uint8Array, count: number, hashes: Uint8Array | undefined, offset: FrameOffset): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (buf.length - pos < FRAME_HEADER) throw argRangeError("a frame's length field runs past the buffer");
    const len = view.getUint32(pos + FRAME_LEN_AT, true);
    if (len > buf.length - pos - FRAME_HEADER) throw argRangeError("a frame's length field runs past the buffer");
    const payload = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len);
    const hash = hash32(payload);
    buf.set(hash, pos + FRAME_HASH_AT);
    hashes?.set(hash, i * HASH_BYTES);
    view.setUint32(pos + FRAME_CRC_AT, frameCrc(at(offset, pos), len, hash, payload), true);
    pos += FRAME_HEADER + len;
  }
  return pos;
}

function allZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

export function verifyFramesJs(
  frameCrc: FrameCrc,
  hash32: Hash32,
  buf: Uint8Array,
  start: number,
  end: number,
  maxLen: number,
  maxCount: number,
  offset: FrameOffset,
): FrameWalk {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  let count = 0;
  while (count < maxCount) {
    const left = end - pos;
    if (left === 0) break;
    if (left < FRAME_HEADER) {
      return { count, pos, status: allZero(buf, pos, end) ? FrameStatus.Zeros : FrameStatus.TruncatedHeader };
    }
    const len = view.getUint32(pos + FRAME_LEN_AT, true);
    const storedCrc = view.getUint32(pos + FRAME_CRC_AT, true);
    if (len === 0 && storedCrc === 0 && allZero(buf, pos + FRAME_HASH_AT, pos + FRAME_HEADER)) {
      return { count, pos, status: FrameStatus.Zeros };
    }
    if (len > maxLen) return { count, pos, status: FrameStatus.TooLarge };
    if (len > left - FRAME_HEADER) return { count, pos, status: FrameStatus.TruncatedPayload };
    const storedHash = buf.subarray(pos + FRAME_HASH_AT, pos + FRAME_HEADER);
    const payload = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len);
    if (frameCrc(at(offset, pos - start), len, storedHash, payload) !== storedCrc) return { count, pos, status: FrameStatus.CrcMismatch };
    const hash = hash32(payload);
    for (let i = 0; i < HASH_BYTES; i++) {
      if (hash[i] !== storedHash[i]) return { count, pos, status: FrameStatus.HashMismatch };
    }
    pos += FRAME_HEADER + len;
    count++;
  }
  return { count, pos, status: FrameStatus.Ok };
}
