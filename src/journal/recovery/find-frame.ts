/**
 * Finding the next frame that verifies after damaged bytes, in time linear in the
 * bytes searched (rule 4: the search goes byte by byte, never by an unverified length).
 * The region is read once and its prefix CRCs kept every CHECKPOINT bytes, for any
 * number of searches in it ('salvage' hops over many bad regions); each candidate
 * position then costs O(CHECKPOINT), whatever its length field says (the method:
 * src/hash/find-frame-js.ts; native/frames/find_frame.cc on the addon). Candidates are bound
 * like real frames: a v3 frame's CRC covers its own global offset, so a frame image
 * inside a payload does not verify there.
 */
import type { JournalIO } from '../../io/types.js';
import { hashBackend } from '../../hash/index.js';
import { frameBinding } from '../../format/frame.js';
import { filePos } from '../../format/segment.js';
import type { Segment } from '../segments.js';

const CHECKPOINT = 64;

export class FrameFinder {
  /** checkpoints[i] = CRC32C of bytes[0, i * CHECKPOINT). */
  readonly #checkpoints: Uint32Array;

  private constructor(
    readonly seg: Segment,
    /** Global offset of bytes[0]. */
    readonly from: number,
    readonly bytes: Uint8Array,
  ) {
    this.#checkpoints = new Uint32Array(Math.floor(bytes.length / CHECKPOINT) + 1);
    hashBackend.crc32cCheckpoints(bytes, CHECKPOINT, this.#checkpoints);
  }

  /** Reads seg's bytes at global offsets [from, end) once, for any number of searches. */
  static read(io: JournalIO, seg: Segment, from: number, end: number): FrameFinder {
    // Not zero-filled: every byte kept is read (a short read ends the region).
    const bytes: Uint8Array = Buffer.allocUnsafeSlow(Math.max(0, end - from));
    let got = 0;
    while (got < bytes.length) {
      const n = io.pread(seg.fd, bytes.subarray(got), filePos(seg, from + got));
      if (n <= 0) break;
      got += n;
    }
    return new FrameFinder(seg, from, bytes.subarray(0, got));
  }

  /** Whether every byte from global offset `at` to the end of the region is zero (unwritten space). */
  zerosFrom(at: number): boolean {
    const b = this.bytes;
    let i = Math.max(0, at - this.from);
    for (; i < b.length && ((b.byteOffset + i) & 3) !== 0; i++) if (b[i] !== 0) return false;
    const words = new Int32Array(b.buffer, b.byteOffset + i, (b.length - i) >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    for (i += words.length * 4; i < b.length; i++) if (b[i] !== 0) return false;
    return true;
  }

  /**
   * The first global offset in [at, end) where a whole frame verifies (length within
   * the bytes left, CRC32C bound to that offset, BLAKE3), or -1.
   */
  next(at: number): number {
    const q = at - this.from;
    if (q < 0 || q > this.bytes.length) return -1;
    const found = hashBackend.findFrame(this.bytes, q, this.#checkpoints, CHECKPOINT, frameBinding(this.seg.version, this.from));
    return found < 0 ? -1 : this.from + found;
  }
}
