/**
 * Where appends are laid out as frames the moment they are called: one buffer that
 * consecutive calls fill back to back, so a batch is a contiguous slice of it and goes
 * to the disk as is. The payload's copy into its frame is the only copy an append
 * makes (the caller may reuse its buffer at once), and no per-record object is made.
 *
 * Bytes are reused only once nothing can read them: every reserve() is matched by a
 * release() after its batch was written and settled (or given up). When nothing of the
 * current buffer is outstanding, filling starts over at its start; a full buffer is
 * replaced, and kept as a spare once its last batch is released. Why: a fresh buffer's
 * pages fault in on first write (~2 µs each on a virtual machine, several times the
 * copy), which for 128-B records cost more than the copies themselves.
 */
import { FRAME_HEADER, FRAME_LEN_AT } from '../../format/frame.js';

/**
 * Sizes of a fresh buffer unless one call needs more (a batch never spans two): the first
 * is small (a journal that appends little holds little), each next one twice the last.
 */
const FIRST_ARENA_BYTES = 64 << 10;
const MAX_ARENA_BYTES = 1 << 20;
/** Full-size buffers kept for reuse once released (more are left to the garbage collector). */
const MAX_SPARES = 2;

export class FrameArena {
  #buf: Uint8Array = new Uint8Array(0);
  #view = new DataView(this.#buf.buffer);
  #fill = 0;
  /** Bytes of #buf reserved and not yet released. */
  #pending = 0;
  #next = FIRST_ARENA_BYTES;
  /** Replaced buffers with bytes still outstanding. */
  readonly #retired = new Map<Uint8Array, number>();
  readonly #spares: Uint8Array[] = [];
  /** Position in `buf` of the last reserve()'s room. */
  at = 0;

  /** The buffer holding `bytes` of room from `this.at` on, reserved for the caller until release(). */
  reserve(bytes: number): Uint8Array {
    if (this.#fill + bytes > this.#buf.length) this.#replace(bytes);
    this.at = this.#fill;
    this.#fill += bytes;
    this.#pending += bytes;
    return this.#buf;
  }

  /** `bytes` reserved in `buf` will not be read again (their batch was written and settled, or failed). */
  release(buf: Uint8Array, bytes: number): void {
    if (buf === this.#buf) {
      this.#pending -= bytes;
      if (this.#pending === 0) this.#fill = 0;
      return;
    }
    const left = this.#retired.get(buf)! - bytes;
    if (left > 0) this.#retired.set(buf, left);
    else {
      this.#retired.delete(buf);
      this.#keep(buf);
    }
  }

  /** Writes one frame's length and payload at `at` of the current buffer (CRC and hash come later, from the seal). */
  putFrame(at: number, payload: Uint8Array): void {
    this.#view.setUint32(at + FRAME_LEN_AT, payload.length, true);
    this.#buf.set(payload, at + FRAME_HEADER);
  }

  #replace(bytes: number): void {
    if (this.#pending > 0) this.#retired.set(this.#buf, this.#pending);
    else this.#keep(this.#buf);
    const size = Math.max(this.#next, bytes);
    const spare = size === MAX_ARENA_BYTES ? this.#spares.pop() : undefined;
    // Not zero-filled: every byte of a reserved range is written (length here, CRC and
    // hash by the seal), and bytes outside reserved ranges are never written out.
    this.#buf = spare ?? Buffer.allocUnsafeSlow(size);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    this.#next = Math.min(2 * this.#next, MAX_ARENA_BYTES);
    this.#fill = 0;
    this.#pending = 0;
  }

  #keep(buf: Uint8Array): void {
    if (buf.length === MAX_ARENA_BYTES && this.#spares.length < MAX_SPARES) this.#spares.push(buf);
  }
}
