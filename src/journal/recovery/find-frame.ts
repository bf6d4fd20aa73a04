/**
 * Finding the next frame that verifies after damaged bytes, in time linear in the
 * bytes searched (rule 4: the search goes byte by byte, never by an unverified length).
 *
 * Testing each position by computing its frame's CRC from scratch costs the frame's
 * length, so garbage that holds many plausible length fields made the search quadratic.
 * Instead the region is read once and the running CRC32C of its bytes is kept every
 * CHECKPOINT bytes; the CRC of any byte range then follows from two prefix CRCs and a
 * shift by x^(8n) mod P (crc-shift.ts), so one candidate costs O(CHECKPOINT + log len)
 * whatever its length. Only a candidate whose CRC matches (2^-32 for garbage) has its
 * BLAKE3 checked. Candidates are bound like real frames: a v3 frame's CRC covers its
 * own global offset, so a frame image inside a payload does not verify there.
 */
import type { JournalIO } from '../../io/types.js';
import { crc32cSmall } from '../../hash/crc-small.js';
import { crc32cShift } from '../../hash/crc-shift.js';
import { framePrefix } from '../../hash/frames-js.js';
import { FRAME_HEADER, frameBinding } from '../format.js';
import { verifySegmentFrames } from '../read.js';
import { filePos, type Segment } from '../segments.js';

const CHECKPOINT = 128;

export class FrameFinder {
  /** checkpoints[i] = CRC32C of bytes[0, i * CHECKPOINT). */
  readonly #checkpoints: Uint32Array;
  readonly #view: DataView;
  readonly #prefix = new Uint8Array(12);

  private constructor(
    readonly seg: Segment,
    /** Global offset of bytes[0]. */
    readonly from: number,
    readonly bytes: Uint8Array,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.length;
    const cps = new Uint32Array(Math.floor(n / CHECKPOINT) + 1);
    let crc = 0;
    for (let i = 1; i < cps.length; i++) {
      crc = crc32cSmall(bytes.subarray((i - 1) * CHECKPOINT, i * CHECKPOINT), crc);
      cps[i] = crc;
    }
    this.#checkpoints = cps;
  }

  /** Reads seg's bytes at global offsets [from, end) once, for any number of searches. */
  static read(io: JournalIO, seg: Segment, from: number, end: number): FrameFinder {
    const bytes = new Uint8Array(Math.max(0, end - from));
    let got = 0;
    while (got < bytes.length) {
      const n = io.pread(seg.fd, bytes.subarray(got), filePos(seg, from + got));
      if (n <= 0) break;
      got += n;
    }
    return new FrameFinder(seg, from, bytes.subarray(0, got));
  }

  /** Global offset just past the bytes held. */
  get end(): number {
    return this.from + this.bytes.length;
  }

  /** CRC32C of bytes[0, i). */
  #crcTo(i: number): number {
    const k = Math.floor(i / CHECKPOINT);
    const at = k * CHECKPOINT;
    return at === i ? this.#checkpoints[k]! : crc32cSmall(this.bytes.subarray(at, i), this.#checkpoints[k]!);
  }

  /**
   * The first global offset in [at, end) where a whole frame verifies (length within
   * the bytes left, CRC32C bound to that offset, BLAKE3), or -1.
   */
  next(at: number): number {
    const b = this.bytes;
    const n = b.length;
    const view = this.#view;
    for (let q = Math.max(0, at - this.from); q + FRAME_HEADER <= n; q++) {
      const left = n - q - FRAME_HEADER;
      // A cheap first test on the length's top byte (most garbage fails it), then the length.
      if (b[q + 3]! > left / 0x1000000) continue;
      const len = view.getUint32(q, true);
      if (len > left) continue; // a frame fits in what is left of its segment
      if (len === 0 && view.getUint32(q + 4, true) === 0) continue; // zeros: unwritten space, never a frame
      const offset = this.from + q;
      const p = crc32cSmall(this.#prefix.subarray(0, framePrefix(this.#prefix, frameBinding(this.seg.version, offset), len)), 0);
      // crc32c(prefix ‖ bytes[q+8, e)) from prefix CRCs: shift(p ^ c(q+8), e-q-8) ^ c(e).
      const e = q + FRAME_HEADER + len;
      const crc = (crc32cShift(p ^ this.#crcTo(q + 8), e - q - 8) ^ this.#crcTo(e)) >>> 0;
      if (crc !== view.getUint32(q + 4, true)) continue;
      if (verifySegmentFrames(this.seg, b, q, e, 1, offset).count === 1) return offset;
    }
    return -1;
  }
}
