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
import { checkFullRead, preadFull, readFrameBlock, verifyFrameBlock, verifySegmentFrames } from './segment-frames.js';
import { READ_AHEAD_MIN_BYTES, ReadAhead, framesEndByLength, type Spare } from './read-ahead.js';
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

/** The segment an iterator holds pinned, if any, and the block it reads ahead there. */
interface Pin {
  seg: Segment | null;
  /** A read that may be in flight on seg's descriptor (read-ahead.ts). */
  ahead: ReadAhead | null;
  /** The buffer of the read ahead after that one. */
  spare: Spare | null;
  /** The reader's pins that have one (stopReadAhead() ends them). */
  readonly reading: Set<Pin>;
}

/** Ends the pin's read ahead, if any: the pool no longer touches its buffer or descriptor. */
function dropAhead(pin: Pin): void {
  const ahead = pin.ahead;
  if (ahead === null) return;
  pin.ahead = null;
  pin.reading.delete(pin);
  ahead.settle();
}

const abandonedPins = new FinalizationRegistry<Pin>((pin) => {
  dropAhead(pin); // before the unpin: a segment unpinned may have its descriptor closed
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
  /** Iterators with a read ahead that may be in flight: closing ends those reads first. */
  readonly #reading = new Set<Pin>();
  #stopped = false;

  constructor(
    readonly io: JournalIO,
    readonly segments: SegmentManager,
  ) {}

  /**
   * Starts no more reads ahead and waits for those in flight (their blocks are read again
   * if an iterator still needs them). Journal and reader close() call it before closing
   * the segment files: a descriptor closed, then reused by another open, under a read in
   * flight would have that read return another file's bytes.
   */
  stopReadAhead(): void {
    this.#stopped = true;
    for (const pin of [...this.#reading]) dropAhead(pin);
  }

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
    const pin: Pin = { seg: null, ahead: null, spare: null, reading: this.#reading };
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
          const block = this.#block(seg, pos, segEnd, maxBytes, pin);
          this.#readAhead(seg, pos, pos + framesEndByLength(block, block.length), Math.min(segEnd, to), segEnd, maxBytes, pin);
          const { bytes, walk } = verifyFrameBlock(this.io, seg, block, block.length, pos, segEnd, true);
          const records = sliceRecords(bytes, walk.pos, pos, to);
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
        dropAhead(pin);
        pin.spare = null;
        pin.seg = null;
        seg.pins--;
      }
    }
  }

  /**
   * Starts reading the block at `next` (where the frames of the block at `pos` seem to end)
   * on the pool, unless there is none to read before `until` (`to`, or the segment's end),
   * or it is small, or the IO cannot read off the JS thread.
   */
  #readAhead(seg: Segment, pos: number, next: number, until: number, segEnd: number, maxBytes: number, pin: Pin): void {
    const io = this.io;
    const len = Math.min(maxBytes, segEnd - next);
    if (next === pos || next >= until || len < READ_AHEAD_MIN_BYTES || this.#stopped || io.preadStart === undefined) return;
    const spare = pin.spare;
    const buf = spare !== null && spare.buf.length === len ? spare.buf : Buffer.allocUnsafeSlow(len);
    pin.spare = { buf: Buffer.allocUnsafeSlow(maxBytes), touched: 0 };
    pin.ahead = new ReadAhead(io as typeof io & Required<Pick<JournalIO, 'preadStart'>>, seg, next, buf);
    this.#reading.add(pin);
  }

  /** The block at `pos` (at most maxBytes, within segEnd): the one read ahead if it starts there, else read now. */
  #block(seg: Segment, pos: number, segEnd: number, maxBytes: number, pin: Pin): Uint8Array {
    const ahead = pin.ahead;
    if (ahead !== null && ahead.pos === pos) {
      pin.ahead = null;
      this.#reading.delete(pin);
      checkFullRead(seg, ahead.buf, pos, ahead.got(pin.spare));
      return ahead.buf;
    }
    dropAhead(pin); // a guess that missed (the block before was damaged)
    // Not zero-filled: a full read fills every byte or throws. Not reused: the records yielded are views of it.
    const block = Buffer.allocUnsafeSlow(Math.min(maxBytes, segEnd - pos));
    preadFull(this.io, seg, block, pos);
    return block;
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
