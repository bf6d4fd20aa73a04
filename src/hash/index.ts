/**
 * The public hash API. One backend is chosen at import: the native addon when it
 * loads, else WebAssembly (STEMEDB_BACKEND=wasm forces it). Importing never
 * throws because the addon is missing; `backend` says which one runs, and the
 * first use of a fallback that was not asked for emits one StemedbWarning.
 * No top-level await: the wasm backend initialises lazily (see wasm.ts).
 */
import { loadBindingWithReason } from '../native/binding.js';
import { warnWasmFallback } from './fallback-warning.js';
import { createWasmHash } from './wasm.js';
import { Blake3Mode, type FrameWalk, type HashBackend, type RawHasher } from './backend.js';
import { createNativeHash } from './native.js';
import { FRAME_STOP_REASONS, FrameStatus, type FrameStopReason } from '../format/frame.js';
import { SMALL_CRC_BYTES, crc32cSmall } from './crc-small.js';
import {
  argRangeError,
  argTypeError,
  checkBytes,
  checkContext,
  checkOptions,
  checkKey,
  checkNonNegativeInteger,
  checkOutLength,
  checkSeed,
  describe,
} from '../validate.js';

const loaded = loadBindingWithReason();
const impl: HashBackend = loaded.binding ? createNativeHash(loaded.binding) : createWasmHash(() => warnWasmFallback(loaded.reason));

/** 'native' when the C++ addon runs, 'wasm' on the fallback. */
export const backend: 'native' | 'wasm' = impl.name;
/** Which paths run and why: { backend, reason, crc32c, blake3 } (crc32c and blake3 as they run now). */
export const backendInfo: { readonly backend: 'native' | 'wasm'; readonly reason: string; readonly crc32c: string; readonly blake3: string } = Object.freeze({
  backend,
  reason: loaded.reason,
  get crc32c() {
    return impl.impl.crc32c;
  },
  get blake3() {
    return impl.impl.blake3;
  },
});

/** The backend object itself (used by the journal). */
export const hashBackend: HashBackend = impl;

export interface Blake3Options {
  /** Output bytes (extended output); default 32. */
  length?: number;
  /** 32-byte key: keyed hashing (a MAC). */
  key?: Uint8Array;
  /** Key derivation: the context string; `data` is the key material. */
  context?: string;
}

function modeOf(options: Blake3Options | undefined, allowed: readonly string[]): [Blake3Mode, Uint8Array | string | undefined] {
  if (options === undefined) return [Blake3Mode.Plain, undefined];
  checkOptions(options, allowed);
  if (options.key !== undefined && options.context !== undefined) {
    throw argTypeError('options.key and options.context cannot be used together', 'ERR_INVALID_ARG_VALUE');
  }
  if (options.key !== undefined) return [Blake3Mode.Keyed, checkKey(options.key)];
  if (options.context !== undefined) return [Blake3Mode.DeriveKey, checkContext(options.context)];
  return [Blake3Mode.Plain, undefined];
}

/**
 * CRC32C (Castagnoli). `seed` continues a running CRC: crc32c(b, crc32c(a)) === crc32c(a ‖ b).
 * Inputs up to SMALL_CRC_BYTES (128) are computed in-process (JavaScript/WebAssembly),
 * where that is cheaper than the call into the backend.
 */
export function crc32c(data: Uint8Array, seed?: number): number {
  // The common cases inline; checkBytes/checkSeed only to throw, or for an empty view (detached?).
  if (!(data instanceof Uint8Array) || data.length === 0) checkBytes(data, 'data');
  const s = seed === undefined ? 0 : typeof seed === 'number' && seed >>> 0 === seed ? seed : checkSeed(seed);
  return data.length <= SMALL_CRC_BYTES ? crc32cSmall(data, s) : impl.crc32c(data, s);
}

/** BLAKE3 of `data`: plain, keyed ({ key }) or key derivation ({ context }); any output length. */
export function blake3(data: Uint8Array, options?: Blake3Options): Uint8Array {
  if (options === undefined) {
    // The common call, without the options machinery (measurable on short inputs).
    if (!(data instanceof Uint8Array) || data.length === 0) checkBytes(data, 'data');
    impl.blake3(data, scratchOut32, Blake3Mode.Plain, undefined);
    return scratchOut32.slice();
  }
  checkBytes(data, 'data');
  const [mode, keyOrContext] = modeOf(options, ['length', 'key', 'context']);
  return withOut(checkOutLength(options?.length), (out) => impl.blake3(data, out, mode, keyOrContext));
}

const SCRATCH_OUT_BYTES = 64;
const scratchOut = new Uint8Array(new ArrayBuffer(SCRATCH_OUT_BYTES));
const scratchOut32 = scratchOut.subarray(0, 32);

/**
 * A fresh small Uint8Array lives on the V8 heap, and handing it to native code forces V8
 * to move it off-heap (measured ~300 ns per call). Small outputs are written into a
 * scratch view that was moved once, then copied out.
 */
function withOut(length: number, fill: (out: Uint8Array) => void): Uint8Array {
  if (length > SCRATCH_OUT_BYTES) {
    const out = new Uint8Array(length);
    fill(out);
    return out;
  }
  const scratch = length === 32 ? scratchOut32 : scratchOut.subarray(0, length);
  fill(scratch);
  return scratch.slice();
}

/** Plain BLAKE3 on the libuv thread pool, for large inputs. Do not modify `data` until it settles. */
export async function blake3Async(data: Uint8Array, options?: { length?: number }): Promise<Uint8Array> {
  checkBytes(data, 'data');
  checkOptions(options, ['length']);
  return impl.blake3Async(data, checkOutLength(options?.length));
}

/** Streaming BLAKE3 for input that arrives in parts. */
export class Blake3Hasher {
  #raw: RawHasher;
  /** Not for callers (the state comes from the backend): use createHasher(). */
  constructor(raw: RawHasher) {
    this.#raw = raw;
  }
  update(data: Uint8Array): this {
    checkBytes(data, 'data');
    this.#raw.update(data);
    return this;
  }
  /** The hash of everything so far (the hasher can keep going). */
  digest(options?: { length?: number; seek?: number }): Uint8Array {
    checkOptions(options, ['length', 'seek']);
    const seek = options?.seek === undefined ? 0 : checkNonNegativeInteger(options.seek, 'seek');
    return withOut(checkOutLength(options?.length), (out) => this.#raw.digest(out, seek));
  }
  /** An independent copy of the current state. */
  clone(): Blake3Hasher {
    return new Blake3Hasher(this.#raw.copy());
  }
}

export function createHasher(options?: { key?: Uint8Array; context?: string }): Blake3Hasher {
  const [mode, keyOrContext] = modeOf(options, ['key', 'context']);
  return new Blake3Hasher(impl.createHasher(mode, keyOrContext));
}

export interface FrameHashes {
  /** n × 32 bytes: BLAKE3 of each payload. */
  hashes: Uint8Array;
  /** The frame CRC32C of each payload (over len, hash and payload; see docs/format.md). */
  crcs: Uint32Array;
}

/** `offset` given: v3 frames bound to global offsets (the first frame's offset); absent: unbound v2 frames. */
/** The options object of hashFrames/verifyFrames (unknown keys refused) and its `offset`: null for v2 frames. */
function frameOffsetOption(options: { offset?: number } | undefined, allowed: readonly string[]): number | null {
  const o = checkOptions(options, allowed);
  return o.offset === undefined ? null : checkNonNegativeInteger(o.offset, 'offset');
}

/**
 * For many payloads at once: each payload's BLAKE3 and its record-frame CRC32C,
 * in one native call. Pass an array of payloads, or one buffer plus lengths.
 * With `{ offset }`, the CRCs are those of v3 frames laid out back to back from
 * that global offset; without, of unbound v2 frames (docs/format.md).
 */
export function hashFrames(payloads: readonly Uint8Array[] | { data: Uint8Array; lengths: Uint32Array }, options?: { offset?: number }): FrameHashes {
  const offset = frameOffsetOption(options, ['offset']);
  let data: Uint8Array;
  let lengths: Uint32Array;
  if (Array.isArray(payloads)) {
    lengths = new Uint32Array(payloads.length);
    let total = 0;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i];
      if (!(p instanceof Uint8Array))
        checkBytes(p, `payloads[${i}]`); // names the item only on failure
      else if (p.byteLength === 0) checkBytes(p, `payloads[${i}]`);
      lengths[i] = p.byteLength;
      total += p.byteLength;
    }
    // The payloads are only read by the native call: gather them into a reused
    // buffer (a fresh large one per call costs more in page faults than the copy).
    data = concatScratch(total);
    let off = 0;
    for (const p of payloads) {
      data.set(p, off);
      off += p.byteLength;
    }
  } else {
    const batch = payloads as { data: Uint8Array; lengths: Uint32Array };
    if (typeof batch !== 'object' || batch === null) throw argTypeError('payloads must be an array or { data, lengths }');
    checkBytes(batch.data, 'data');
    if (!(batch.lengths instanceof Uint32Array)) throw argTypeError(`lengths must be a Uint32Array, got ${describe(batch.lengths)}`);
    data = batch.data;
    lengths = batch.lengths;
    let total = 0;
    for (const n of lengths) total += n;
    if (total > data.byteLength) throw argRangeError(`lengths add up to ${total} bytes but data holds ${data.byteLength}`, 'ERR_INVALID_ARG_VALUE');
  }
  const hashes = new Uint8Array(lengths.length * 32);
  const crcs = new Uint32Array(lengths.length);
  impl.frameBatch(data, lengths, hashes, crcs, offset);
  return { hashes, crcs };
}

let scratch = new Uint8Array(0);
function concatScratch(bytes: number): Uint8Array {
  if (bytes > 16 << 20) return new Uint8Array(bytes); // keep no huge buffer alive
  if (scratch.length < bytes) scratch = new Uint8Array(Math.min(16 << 20, Math.max(bytes, scratch.length * 2)));
  return scratch.subarray(0, bytes);
}

export type { FrameStopReason };

export interface FrameCheck {
  /** Frames that verified, in order from `start`. */
  count: number;
  /** Position after the last frame that verified. */
  end: number;
  /** 'ok' if every frame up to `end` (or maxCount) verified; else why the next one failed. */
  reason: FrameStopReason;
  /** Index of the first failing frame, or -1. */
  failedIndex: number;
}

/**
 * Verifies record frames laid out back to back in buf[start, end): length bounds,
 * CRC32C and BLAKE3 of each. Returns where the first failure is and why. With
 * `offset` (the global offset of the frame at `start`) the frames are v3 (CRC bound
 * to their offsets); without, v2.
 */
export function verifyFrames(
  buf: Uint8Array,
  options: { start?: number; end?: number; maxRecordBytes?: number; maxCount?: number; offset?: number } = {},
): FrameCheck {
  checkBytes(buf, 'buf');
  const offset = frameOffsetOption(options, ['start', 'end', 'maxRecordBytes', 'maxCount', 'offset']);
  const start = options.start === undefined ? 0 : checkNonNegativeInteger(options.start, 'start');
  const end = options.end === undefined ? buf.byteLength : checkNonNegativeInteger(options.end, 'end');
  if (start > end || end > buf.byteLength) throw argRangeError(`start..end (${start}..${end}) is outside the buffer (${buf.byteLength} bytes)`);
  const maxLen = options.maxRecordBytes === undefined ? 0xffffffff : checkNonNegativeInteger(options.maxRecordBytes, 'maxRecordBytes');
  const maxCount = options.maxCount === undefined ? Number.MAX_SAFE_INTEGER : checkNonNegativeInteger(options.maxCount, 'maxCount');
  const walk: FrameWalk = impl.verifyFrames(buf, start, end, maxLen, maxCount, offset);
  return {
    count: walk.count,
    end: walk.pos,
    reason: FRAME_STOP_REASONS[walk.status] ?? 'ok',
    failedIndex: walk.status === FrameStatus.Ok ? -1 : walk.count,
  };
}
