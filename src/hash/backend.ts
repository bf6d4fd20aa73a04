/** What each hash backend (native addon or wasm) provides; arguments are already checked. */
import type { FrameStatus } from '../format/frame.js';

export const enum Blake3Mode {
  Plain = 0,
  Keyed = 1,
  DeriveKey = 2,
}

export interface RawHasher {
  update(data: Uint8Array): void;
  /** Extended output into `out`, from output byte `seek` on; state is unchanged. */
  digest(out: Uint8Array, seek: number): void;
  copy(): RawHasher;
}

/** null: unbound (v2) frames; a number: the global offset the frames are bound to (v3). */
export type FrameOffset = number | null;

export interface FrameWalk {
  /** Valid frames before the stop. */
  count: number;
  /** Position after the last valid frame. */
  pos: number;
  status: FrameStatus;
}

export interface HashBackend {
  readonly name: 'native' | 'wasm';
  /** Which code path does the work, e.g. { crc32c: 'avx512-vpclmulqdq', blake3: 'avx512' }. */
  readonly impl: { crc32c: string; blake3: string };
  /** Resolves when the backend runs its fastest paths (at once for native; wasm compiles in the background). */
  ready(): Promise<void>;
  crc32c(data: Uint8Array, seed: number): number;
  blake3(data: Uint8Array, out: Uint8Array, mode: Blake3Mode, keyOrContext?: Uint8Array | string): void;
  blake3Async(data: Uint8Array, outLen: number): Promise<Uint8Array>;
  createHasher(mode: Blake3Mode, keyOrContext?: Uint8Array | string): RawHasher;
  /**
   * Hash + frame CRC of n payloads stored back to back. Every frame method takes
   * `offset`: null for unbound v2 frames, else the global offset of the first frame
   * (v3: each frame's CRC is bound to its offset; docs/format.md).
   */
  frameBatch(data: Uint8Array, lengths: Uint32Array, hashes: Uint8Array, crcs: Uint32Array, offset: FrameOffset): void;
  /**
   * Fills crc and hash of `count` frames laid out from buf[0] (len fields and
   * payloads already there); with `hashes`, also copies each hash to
   * hashes[i*32]. Returns the end position.
   */
  sealFrames(buf: Uint8Array, count: number, hashes: Uint8Array | undefined, offset: FrameOffset): number;
  /** out[i] = CRC32C of buf[0, i * step), i = 0 .. floor(buf.length / step). */
  crc32cCheckpoints(buf: Uint8Array, step: number, out: Uint32Array): void;
  /**
   * The first position p >= from where a whole frame verifies within buf (bound to
   * offset + p when `offset` is given), or -1; in time linear in the bytes searched,
   * given checkpoints = crc32cCheckpoints(buf, step).
   */
  findFrame(buf: Uint8Array, from: number, checkpoints: Uint32Array, step: number, offset: FrameOffset): number;
  /** Walks and verifies frames in buf[start, end); `offset` is that of the frame at `start`. */
  verifyFrames(buf: Uint8Array, start: number, end: number, maxLen: number, maxCount: number, offset: FrameOffset): FrameWalk;
}
