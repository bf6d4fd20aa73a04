/**
 * Reading records: read(offset) and iterate(from, to), shared by the writer and
 * by readers. Every record is verified (length bounds, CRC32C bound to its offset,
 * BLAKE3); data is read in large blocks and checked with the batch verifier.
 * maxRecordBytes plays no part here: it limits what may be appended, and a frame
 * that verifies and fits in its segment is a record, whatever the option says today.
 */
import type { JournalIO } from '../../io/types.js';
import { CorruptionError, OffsetError } from '../../errors.js';
import { FRAME_HASH_AT, FRAME_HEADER, FRAME_LEN_AT, FrameStatus, HASH_BYTES, frameDamage } from '../../format/frame.js';
import { filePos } from '../../format/segment.js';
import type { Gap, Segment, SegmentManager } from '../segments.js';
import { preadFull, readFrameBlock, verifySegmentFrames } from './segment-frames.js';
import { Records } from './records.js';

export interface JournalRecord {
  /** Global offset of the record. */
  offset: number;
  /** Offset of the next record: offset + 40 + payload.length. */
  next: number;
  payload: Uint8Array;
  /** BLAKE3-256 of the payload (the record's identity). */
  hash: Uint8Array;
}

/** The segment an iterator holds pinned, if any. */
interface Pin {
  seg: Segment | null;
}
const abandonedPins = new FinalizationRegistry<Pin>((pin) => {
  if (pin.seg) pin.seg.pins--;
  pin.seg = null;
});

/** Block size of iterate() and the default of iterateBatches()' maxBytes. */
export const BLOCK_BYTES = 1 << 20;
const FIRST_READ = 4096;

/** An offset in a region 'salvage' recovery skipped. */
function skippedError(offset: number, gap: Gap): OffsetError {
  return new OffsetError('OFFSET_SKIPPED', `offset ${offset} lies in a region recovery skipped (${gap.from}..${gap.to})`);
}

export class RecordReader {
  constructor(
    readonly io: JournalIO,
    readonly segments: SegmentManager,
  ) {}

  /** Reads one record; null at or past `visibleEnd`. */
  read(offset: number, visibleEnd: number): JournalRecord | null {
    if (offset >= visibleEnd) return null;
    const seg = this.segmentFor(offset);
    const gap = seg.gapAt(offset);
    if (gap) throw skippedError(offset, gap);
    const end = Math.min(seg.end, visibleEnd);
    const avail = end - offset;
    if (avail < FRAME_HEADER) return this.classify(seg, offset, end);
    let buf = new Uint8Array(Math.min(avail, FIRST_READ));
    this.preadFull(seg, buf, offset);
    const len = new DataView(buf.buffer).getUint32(FRAME_LEN_AT, true);
    if (FRAME_HEADER + len > avail) return this.classify(seg, offset, end);
    if (FRAME_HEADER + len > buf.length) {
      buf = new Uint8Array(FRAME_HEADER + len);
      this.preadFull(seg, buf, offset);
    }
    const walk = verifySegmentFrames(seg, buf, 0, FRAME_HEADER + len, 1, offset);
    if (walk.count !== 1) return this.classify(seg, offset, end);
    return {
      offset,
      next: offset + FRAME_HEADER + len,
      payload: buf.subarray(FRAME_HEADER, FRAME_HEADER + len),
      hash: buf.subarray(FRAME_HASH_AT, FRAME_HEADER),
    };
  }

  /**
   * Yields verified records starting at `from` whose offsets are below `to`,
   * reading no further than `end` (the visible end), one record per step.
   */
  iterate(from: number, to: number, end: number, signal?: AbortSignal): AsyncGenerator<JournalRecord> {
    return new Records(() => ({ batches: this.iterateBatches(from, to, end, BLOCK_BYTES), signal }));
  }

  /**
   * The same records, one array per block read (blocks of at most `maxBytes`, or one
   * record larger than that alone). Segments being read are pinned so cleanup in this
   * process leaves them alone.
   */
  iterateBatches(from: number, to: number, end: number, maxBytes: number): AsyncGenerator<JournalRecord[]> {
    const pin: Pin = { seg: null };
    const gen = this.#batches(from, to, end, maxBytes, pin);
    // An iterator dropped mid-way never runs its finally: its pin goes when it is collected.
    abandonedPins.register(gen, pin);
    return gen;
  }

  async *#batches(from: number, to: number, end: number, maxBytes: number, pin: Pin): AsyncGenerator<JournalRecord[]> {
    let pos = from;
    while (pos < to && pos < end) {
      const seg = this.segmentFor(pos);
      const gap = seg.gapAt(pos);
      if (gap) {
        if (gap.from !== pos) throw skippedError(pos, gap);
        pos = gap.to;
        continue;
      }
      const segEnd = Math.min(seg.end, end, seg.nextGapFrom(pos));
      if (pos >= seg.end) throw new CorruptionError(seg.name, filePos(seg, pos), 'segment gap', `no segment holds offset ${pos}`);
      seg.pins++;
      pin.seg = seg;
      try {
        while (pos < segEnd && pos < to) {
          const blockLen = Math.min(maxBytes, segEnd - pos);
          // Not zero-filled: a full read fills every byte or throws. Not reused: the records yielded are views of it.
          const { bytes: block, walk } = readFrameBlock(this.io, seg, Buffer.allocUnsafeSlow(blockLen), pos, segEnd, true);
          const records = sliceRecords(block, walk.pos, pos, to);
          if (records.length > 0) yield records;
          if (records.length < walk.count) return; // reached `to`
          pos += walk.pos;
          if (walk.status !== FrameStatus.Ok) {
            const partialAtBlockEnd =
              (walk.status === FrameStatus.TruncatedPayload || walk.status === FrameStatus.TruncatedHeader) && walk.count > 0 && pos < segEnd;
            if (!partialAtBlockEnd) this.classify(seg, pos, segEnd);
          }
        }
      } finally {
        pin.seg = null;
        seg.pins--;
      }
    }
  }

  /** The segment holding `offset`; a typed error below the first segment. */
  segmentFor(offset: number): Segment {
    const seg = this.segments.resolve(offset);
    if (!seg) {
      const first = this.segments.first?.base ?? 0;
      throw new OffsetError('OFFSET_CLEANED', `offset ${offset} is below the first offset still in the journal (${first}); it was cleaned up`);
    }
    return seg;
  }

  preadFull(seg: Segment, buf: Uint8Array, offset: number): void {
    preadFull(this.io, seg, buf, offset);
  }

  /**
   * The frame at `offset` failed. Walks the record chain from the segment start
   * (a known record boundary, never skipping by an unverified length: rule 4) to
   * tell a mid-record offset (OffsetError) from a damaged record (CorruptionError).
   */
  classify(seg: Segment, offset: number, end: number): never {
    let pos = seg.base;
    while (pos < offset) {
      const gap = seg.gapAt(pos);
      if (gap) {
        if (offset < gap.to) throw skippedError(offset, gap);
        pos = gap.to;
        continue;
      }
      const blockLen = Math.min(BLOCK_BYTES, end - pos);
      if (blockLen <= 0) break;
      const { bytes: block, walk } = readFrameBlock(this.io, seg, new Uint8Array(blockLen), pos, end, true);
      // Step over verified frames only, stopping at `offset` if the chain reaches it.
      const view = new DataView(block.buffer);
      let p = 0;
      for (let i = 0; i < walk.count && pos + p < offset; i++) p += FRAME_HEADER + view.getUint32(p + FRAME_LEN_AT, true);
      if (pos + p >= offset) {
        pos += p;
        break;
      }
      pos += walk.pos;
      if (walk.status !== FrameStatus.Ok && walk.count === 0) {
        throw new CorruptionError(
          seg.name,
          filePos(seg, pos),
          frameDamage(walk.status),
          pos < offset ? `the record chain breaks before offset ${offset}` : `record at offset ${pos}`,
        );
      }
    }
    if (pos !== offset)
      throw new OffsetError(
        'NOT_RECORD_START',
        `offset ${offset} is not the start of a record (the record before it ends at ${pos > offset ? 'a later offset' : pos})`,
      );
    const head = new Uint8Array(Math.min(end - offset, FRAME_HEADER));
    this.preadFull(seg, head, offset);
    const len = head.length === FRAME_HEADER ? new DataView(head.buffer).getUint32(FRAME_LEN_AT, true) : 0;
    const probe = new Uint8Array(Math.min(end - offset, FRAME_HEADER + len));
    this.preadFull(seg, probe, offset);
    const walk = verifySegmentFrames(seg, probe, 0, probe.length, 1, offset);
    throw new CorruptionError(seg.name, filePos(seg, offset), frameDamage(walk.status), `record at offset ${offset}`);
  }
}

/**
 * The verified frames of block[0, verified), the first at global offset `base`, as
 * records whose offsets are below `to`. Payload and hash are views of the block (made
 * with the Uint8Array constructor: Buffer's subarray costs a species lookup per call).
 */
function sliceRecords(block: Uint8Array, verified: number, base: number, to: number): JournalRecord[] {
  const records: JournalRecord[] = [];
  const ab = block.buffer;
  const at = block.byteOffset;
  const view = new DataView(ab, at, block.byteLength);
  for (let p = 0; p < verified && base + p < to; ) {
    const len = view.getUint32(p + FRAME_LEN_AT, true);
    const next = p + FRAME_HEADER + len;
    records.push({
      offset: base + p,
      next: base + next,
      payload: new Uint8Array(ab, at + p + FRAME_HEADER, len),
      hash: new Uint8Array(ab, at + p + FRAME_HASH_AT, HASH_BYTES),
    });
    p = next;
  }
  return records;
}
