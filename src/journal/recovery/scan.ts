/** Scanning primitives for recovery: walk verified frames, hop over bad regions (search: find-frame.ts). */
import type { JournalIO } from '../../io/types.js';
import { FrameStatus } from '../../format/frame.js';
import { readFrameBlock } from '../read/segment-frames.js';
import type { Segment } from '../segments.js';
import { FrameFinder } from './find-frame.js';

const BLOCK = 4 << 20;

interface ChainEnd {
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
 * large blocks. Never steps over an unverified length (rule 4). A length is bounded
 * by the segment's bytes only (maxRecordBytes limits appends, not what is read).
 */
export function walkChain(io: JournalIO, seg: Segment, from: number, end: number): ChainEnd {
  let pos = from;
  let records = 0;
  let scanned = 0;
  // One buffer for the whole walk: nothing read here outlives the loop.
  const scratch = new Uint8Array(Math.min(BLOCK, Math.max(0, end - from)));
  while (pos < end) {
    const want = Math.min(BLOCK, end - pos);
    // A record bigger than the block is read whole, its length bounded by the segment.
    const { got: len, walk } = readFrameBlock(io, seg, scratch.subarray(0, want), pos, end, false);
    scanned += len; // verified: only what was actually read
    records += walk.count;
    pos += walk.pos;
    const partial =
      (walk.status === FrameStatus.TruncatedHeader || walk.status === FrameStatus.TruncatedPayload) && walk.count > 0 && pos < end && len === want;
    if (walk.status !== FrameStatus.Ok && !partial) return { records, stop: pos, status: walk.status, bytesScanned: scanned };
    if (walk.status === FrameStatus.Ok && len < want) return { records, stop: pos, status: FrameStatus.TruncatedHeader, bytesScanned: scanned };
  }
  return { records, stop: pos, status: FrameStatus.Ok, bytesScanned: scanned };
}

/** Counts the frames that verify from `from` to `end`, hopping over bad regions (for 'truncate' reports). */
export function salvageWalk(io: JournalIO, seg: Segment, from: number, end: number): { records: number; gaps: Array<{ from: number; to: number }> } {
  let pos = from;
  let records = 0;
  const gaps: Array<{ from: number; to: number }> = [];
  let finder: FrameFinder | undefined;
  while (pos < end) {
    const chain = walkChain(io, seg, pos, end);
    records += chain.records;
    if (chain.status === FrameStatus.Ok) break;
    finder ??= FrameFinder.read(io, seg, chain.stop + 1, end);
    const next = finder.next(chain.stop + 1);
    gaps.push({ from: chain.stop, to: next < 0 ? end : next });
    if (next < 0) break;
    pos = next;
  }
  return { records, gaps };
}
