/**
 * Reading verified frames out of a segment file: the one place that reads a block of
 * frames and, when not one frame fits in it, the one record larger than the block. The
 * record reader, recovery's chain walk and the ledger's record count all go through it.
 */
import type { JournalIO } from '../../io/types.js';
import { hashBackend } from '../../hash/index.js';
import type { FrameWalk } from '../../hash/backend.js';
import { CorruptionError } from '../../errors.js';
import { FRAME_HEADER, FRAME_LEN_AT, FrameStatus, frameBinding } from '../../format/frame.js';
import { filePos } from '../../format/segment.js';
import type { Segment } from '../segments.js';

/** No length bound but the buffer's end (the u32 field's own limit). */
const ANY_LENGTH = 0xffffffff;

/**
 * Verifies up to maxCount frames of `seg` laid out in buf[start, end), the one at
 * `start` having global offset `offset` (v3 frames are bound to it). Lengths are
 * bounded by the buffer's end only.
 */
export function verifySegmentFrames(seg: Segment, buf: Uint8Array, start: number, end: number, maxCount: number, offset: number): FrameWalk {
  return hashBackend.verifyFrames(buf, start, end, ANY_LENGTH, maxCount, frameBinding(seg.version, offset));
}

/** Reads seg's bytes from global offset `offset` into all of `buf`: a short read is a truncated record (CorruptionError). */
export function preadFull(io: JournalIO, seg: Segment, buf: Uint8Array, offset: number): void {
  checkFullRead(seg, buf, offset, io.pread(seg.fd, buf, filePos(seg, offset)));
}

/** A read of `buf` at global offset `offset` that returned `n` bytes: fewer than asked is a truncated record. */
export function checkFullRead(seg: Segment, buf: Uint8Array, offset: number, n: number): void {
  if (n !== buf.length) {
    throw new CorruptionError(seg.name, filePos(seg, offset) + n, 'truncated payload', `expected ${buf.length} bytes, file ended after ${n}`);
  }
}

/** What readFrameBlock() read and verified. */
interface FrameBlock {
  /** The bytes read, from the block's first frame: `block`, or a buffer of its own for one record larger than it. */
  bytes: Uint8Array;
  /** How many of them the last read returned (fewer than asked only at the end of the file). */
  got: number;
  /** The frames verified in bytes[0, got). */
  walk: FrameWalk;
}

/**
 * Reads seg's bytes from global offset `pos` into `block` (the caller sizes it, at most
 * end - pos) and verifies the frames there. When not one frame fits in the block, reads
 * exactly the record at `pos` instead, once its length is known to fit before `end` (a
 * length is bounded before anything is allocated: rule 3), and verifies that one.
 * `full`: a short read throws (preadFull) instead of ending the bytes early.
 */
export function readFrameBlock(io: JournalIO, seg: Segment, block: Uint8Array, pos: number, end: number, full: boolean): FrameBlock {
  return verifyFrameBlock(io, seg, block, readAt(io, seg, block, pos, full), pos, end, full);
}

/** readFrameBlock() of a `block` already read (`got` bytes of it): verifies it, or reads and verifies the one larger record there. */
export function verifyFrameBlock(io: JournalIO, seg: Segment, block: Uint8Array, got: number, pos: number, end: number, full: boolean): FrameBlock {
  const want = block.length;
  let bytes = block;
  let walk = verifySegmentFrames(seg, bytes, 0, got, Number.MAX_SAFE_INTEGER, pos);
  if (walk.count === 0 && walk.status === FrameStatus.TruncatedPayload && got === want && want < end - pos) {
    const size = FRAME_HEADER + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(FRAME_LEN_AT, true);
    if (size <= end - pos) {
      bytes = new Uint8Array(size);
      got = readAt(io, seg, bytes, pos, full);
      walk = verifySegmentFrames(seg, bytes, 0, got, 1, pos);
    }
  }
  return { bytes, got, walk };
}

function readAt(io: JournalIO, seg: Segment, buf: Uint8Array, offset: number, full: boolean): number {
  if (!full) return io.pread(seg.fd, buf, filePos(seg, offset));
  preadFull(io, seg, buf, offset);
  return buf.length;
}
