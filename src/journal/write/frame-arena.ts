/**
 * Where appends are laid out as frames the moment they are called: one buffer that
 * consecutive calls fill back to back, so a batch is a contiguous slice of it and goes
 * to the disk as is. The payload's copy into its frame is the only copy an append
 * makes (the caller may reuse its buffer at once), and no per-record object is made.
 *
 * A buffer is never reused: a batch in flight keeps its slice, and a full buffer is
 * simply replaced (the garbage collector frees it once its batches are written).
 */
import { FRAME_HEADER, FRAME_LEN_AT } from '../../format/frame.js';

/**
 * Sizes of a fresh buffer unless one call needs more (a batch never spans two): the first
 * is small (a journal that appends little holds little), each next one twice the last.
 */
const FIRST_ARENA_BYTES = 64 << 10;
const MAX_ARENA_BYTES = 1 << 20;

export class FrameArena {
  #buf = new Uint8Array(0);
  #view = new DataView(this.#buf.buffer);
  #fill = 0;
  #next = FIRST_ARENA_BYTES;
  /** Position in `buf` of the last reserve()'s room. */
  at = 0;

  /** The buffer holding `bytes` of room from `this.at` on, reserved for the caller. */
  reserve(bytes: number): Uint8Array {
    if (this.#fill + bytes > this.#buf.length) {
      // Not zero-filled: every byte of a reserved range is written (length here, CRC and
      // hash by the seal), and bytes outside reserved ranges are never written out.
      this.#buf = Buffer.allocUnsafeSlow(Math.max(this.#next, bytes));
      this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
      this.#next = Math.min(2 * this.#next, MAX_ARENA_BYTES);
      this.#fill = 0;
    }
    this.at = this.#fill;
    this.#fill += bytes;
    return this.#buf;
  }

  /** Writes one frame's length and payload at `at` of the current buffer (CRC and hash come later, from the seal). */
  putFrame(at: number, payload: Uint8Array): void {
    this.#view.setUint32(at + FRAME_LEN_AT, payload.length, true);
    this.#buf.set(payload, at + FRAME_HEADER);
  }
}
