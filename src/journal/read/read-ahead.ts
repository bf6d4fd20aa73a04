/**
 * Read-ahead for iterateBatches(): while the JS thread verifies one block and hands out
 * its records, the next block is read on the libuv pool (io.preadStart). The copy out of
 * the page cache into a fresh buffer (blocks are never reused: records are views of
 * them), which costs about as much as its verification, then costs the JS thread nothing.
 * The result is taken synchronously (PendingRead.wait(), no turn of the event loop: see
 * native/io/read_ahead.cc for why that matters), so a step stays as it was, a promise job.
 *
 * Where the next block starts is known only once this one is verified, so it is guessed
 * from the length fields alone. The guess decides nothing but what to read early: a block
 * read ahead is used only if it starts exactly where the verified frames end, is verified
 * like any other before a record of it is yielded, and otherwise is dropped and the block
 * read again. (Rule 4 governs what a walk accepts, not where it reads.)
 */
import type { JournalIO, PendingRead } from '../../io/types.js';
import { FRAME_HEADER, FRAME_LEN_AT } from '../../format/frame.js';
import { filePos } from '../../format/segment.js';
import type { Segment } from '../segments.js';

/**
 * Blocks smaller than this are read when needed: handing a read to the pool costs a few
 * microseconds here and a thread wake-up there, more than reading a small block saves.
 */
export const READ_AHEAD_MIN_BYTES = 128 * 1024;

/** The buffer the read after the next will fill, allocated early so that waits can fault it in. */
export interface Spare {
  readonly buf: Uint8Array;
  /** Bytes from its start whose pages were written. */
  touched: number;
}

export class ReadAhead {
  readonly #read: PendingRead | null;
  readonly #failed: unknown;

  constructor(
    io: JournalIO & Required<Pick<JournalIO, 'preadStart'>>,
    seg: Segment,
    /** Global offset of the block's first byte. */
    readonly pos: number,
    /** Not zero-filled: a full read fills every byte, and a short one is an error. */
    readonly buf: Uint8Array,
  ) {
    let read: PendingRead | null = null;
    let failed: unknown = null;
    try {
      read = io.preadStart(seg.fd, buf, filePos(seg, pos));
    } catch (err) {
      failed = err; // thrown when (if) the block is needed, as a pread would have then
    }
    this.#read = read;
    this.#failed = failed;
  }

  /**
   * The count of bytes read; the read's error if it failed. Waits for a read in progress,
   * meanwhile faulting in the pages of `spare` (the buffer of the next read) from `spare.touched` on.
   */
  got(spare: Spare | null): number {
    if (this.#read === null) throw this.#failed;
    if (spare !== null && this.#read.touch) spare.touched = this.#read.touch(spare.buf, spare.touched);
    return this.#read.wait();
  }

  /** Waits for the read to end, its result unused (the pool no longer touches the buffer or the descriptor). */
  settle(): void {
    try {
      this.#read?.wait();
    } catch {
      // unused: the block was not needed
    }
  }
}

/**
 * Where the frames laid out in bytes[0, got) end, by their length fields alone (not
 * verified: only where to read ahead from). 0 when the first frame does not fit.
 */
export function framesEndByLength(bytes: Uint8Array, got: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, got);
  let p = 0;
  while (got - p >= FRAME_HEADER) {
    const next = p + FRAME_HEADER + view.getUint32(p + FRAME_LEN_AT, true);
    if (next > got) break;
    p = next;
  }
  return p;
}
