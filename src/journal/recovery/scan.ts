/** Scanning primitives for recovery: walk verified frames, search forward for the next frame that verifies. */
import type { JournalIO } from '../../io/types.js';
import { hashBackend } from '../../hash/index.js';
import { FrameStatus } from '../../hash/backend.js';
import { FRAME_HEADER, SEGMENT_HEADER } from '../format.js';
import type { Segment } from '../segments.js';

const BLOCK = 4 << 20;

export interface ChainEnd {
  /** Verified records from `from` on. */
  records: number;
  /** Global offset where the chain stopped (end of the last verified record). */
  stop: number;
  /** Why it stopped; Ok when it reached `end`. */
  status: FrameStatus;
  bytesScanned: number;
}

/**
 * Follows the record chain in seg from `from` to `end`, verifying every frame in
 * large blocks. Never steps over an unverified length (rule 4).
 */
export function walkChain(io: JournalIO, seg: Segment, from: number, end: number, maxLen: number): ChainEnd {
  let pos = from;
  let records = 0;
  let scanned = 0;
  // One buffer for the whole walk: nothing read here outlives the loop.
  const scratch = new Uint8Array(Math.min(BLOCK, Math.max(0, end - from)));
  while (pos < end) {
    const want = Math.min(BLOCK, end - pos);
    let block = scratch.subarray(0, want);
    const got = io.pread(seg.fd, block, SEGMENT_HEADER + pos - seg.base);
    scanned += got;
    let len = got; // verify only what was actually read
    let walk = hashBackend.verifyFrames(block, 0, len, maxLen, Number.MAX_SAFE_INTEGER);
    if (walk.count === 0 && walk.status === FrameStatus.TruncatedPayload && got === want && want < end - pos) {
      // A record bigger than the block: read exactly it (its length is bounded by maxLen and the file).
      const recLen = new DataView(block.buffer, block.byteOffset, 4).getUint32(0, true);
      if (recLen <= maxLen && FRAME_HEADER + recLen <= end - pos) {
        block = new Uint8Array(FRAME_HEADER + recLen);
        len = io.pread(seg.fd, block, SEGMENT_HEADER + pos - seg.base);
        scanned += len - got;
        walk = hashBackend.verifyFrames(block, 0, len, maxLen, 1);
      }
    }
    records += walk.count;
    pos += walk.pos;
    const partial = (walk.status === FrameStatus.TruncatedHeader || walk.status === FrameStatus.TruncatedPayload) && walk.count > 0 && pos < end && len === want;
    if (walk.status !== FrameStatus.Ok && !partial) return { records, stop: pos, status: walk.status, bytesScanned: scanned };
    if (walk.status === FrameStatus.Ok && len < want) return { records, stop: pos, status: FrameStatus.TruncatedHeader, bytesScanned: scanned };
  }
  return { records, stop: pos, status: FrameStatus.Ok, bytesScanned: scanned };
}

/**
 * The first global offset in (from, end) where a whole frame verifies (CRC32C
 * and BLAKE3), scanning byte by byte, or -1. Lengths are bounded before use.
 */
export function findNextFrame(io: JournalIO, seg: Segment, from: number, end: number, maxLen: number): number {
  const window = Math.min(BLOCK, end - from);
  let pos = from;
  while (pos < end - FRAME_HEADER + 1) {
    const len = Math.min(window + FRAME_HEADER + maxLen, end - pos);
    const block = new Uint8Array(len);
    io.pread(seg.fd, block, SEGMENT_HEADER + pos - seg.base);
    const view = new DataView(block.buffer);
    const limit = Math.min(window, len - FRAME_HEADER + 1);
    for (let q = 0; q < limit; q++) {
      const recLen = view.getUint32(q, true);
      if (recLen > maxLen || FRAME_HEADER + recLen > len - q) continue;
      if (recLen === 0 && view.getUint32(q + 4, true) === 0) continue;
      if (hashBackend.verifyFrames(block, q, q + FRAME_HEADER + recLen, maxLen, 1).count === 1) return pos + q;
    }
    pos += limit;
  }
  return -1;
}

/** Whether every byte of seg in [from, end) is zero (preallocated space, or writes that never reached the disk). */
export function allZero(io: JournalIO, seg: Segment, from: number, end: number): boolean {
  const block = new Uint8Array(Math.min(BLOCK, Math.max(0, end - from)));
  const words = new Int32Array(block.buffer, 0, block.length >>> 2);
  for (let pos = from; pos < end;) {
    const want = Math.min(block.length, end - pos);
    if (io.pread(seg.fd, block.subarray(0, want), SEGMENT_HEADER + pos - seg.base) !== want) return false;
    const whole = want >>> 2;
    for (let i = 0; i < whole; i++) if (words[i] !== 0) return false;
    for (let i = whole << 2; i < want; i++) if (block[i] !== 0) return false;
    pos += want;
  }
  return true;
}

/** Counts the frames that verify from `from` to `end`, hopping over bad regions (for 'truncate' reports and 'salvage'). */
export function salvageWalk(io: JournalIO, seg: Segment, from: number, end: number, maxLen: number): { records: number; gaps: Array<{ from: number; to: number }> } {
  let pos = from;
  let records = 0;
  const gaps: Array<{ from: number; to: number }> = [];
  while (pos < end) {
    const chain = walkChain(io, seg, pos, end, maxLen);
    records += chain.records;
    if (chain.status === FrameStatus.Ok) break;
    const next = findNextFrame(io, seg, chain.stop + 1, end, maxLen);
    gaps.push({ from: chain.stop, to: next < 0 ? end : next });
    if (next < 0) break;
    pos = next;
  }
  return { records, gaps };
}
