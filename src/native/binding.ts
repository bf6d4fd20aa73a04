/**
 * Finds the native addon at run time through node-gyp-build (build/Release,
 * then prebuilds/<platform>-<arch>/), so a missing or broken binary never makes
 * the import fail: callers fall back to the wasm backend.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// src/native and dist/native both sit two levels below the package root.
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: { binding: NativeBinding | null; reason: string } | undefined;

/** The addon's exports (see native/hash_binding.cc and native/io/). */
export interface NativeBinding {
  crc32c(data: Uint8Array, seed: number): number;
  blake3(data: Uint8Array, out: Uint8Array, mode: number, keyOrContext?: Uint8Array | string): void;
  blake3Async(data: Uint8Array, outLen: number): Promise<Uint8Array>;
  hasherCreate(mode: number, keyOrContext?: Uint8Array | string): unknown;
  hasherUpdate(handle: unknown, data: Uint8Array): void;
  hasherDigest(handle: unknown, out: Uint8Array, seek: number): void;
  hasherCopy(handle: unknown): unknown;
  /** `offset` (v3 frames): the global offset of the first frame; undefined: unbound v2 frames. */
  frameBatch(data: Uint8Array, lengths: Uint32Array, hashes: Uint8Array, crcs: Uint32Array, offset?: number): void;
  sealFrames(buf: Uint8Array, count: number, hashes?: Uint8Array, offset?: number): number;
  verifyFrames(buf: Uint8Array, start: number, end: number, maxLen: number, maxCount: number, out: Float64Array, offset?: number): number;
  crc32cCheckpoints(buf: Uint8Array, step: number, out: Uint32Array): void;
  findFrame(buf: Uint8Array, from: number, checkpoints: Uint32Array, step: number, offset?: number): number;
  hashInfo(): { crc32c: string; blake3: string };
  blake3SetImpl(name: string): boolean;
  lock(path: string): number;
  unlock(handle: number): void;
  writev(fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, wmFd: number, wmValue: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  fsyncDir(path: string): Promise<void>;
  writerOpen(spinMicros: number): unknown;
  writerWritev(writer: unknown, fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, wmFd: number, wmValue: number): Promise<number>;
  writerClose(writer: unknown): void;
}

/** Loads the addon once; null (with the reason) when it is missing, broken or STEMEDB_BACKEND=wasm. */
export function loadBinding(): NativeBinding | null {
  return loadBindingWithReason().binding;
}

export function loadBindingWithReason(): { binding: NativeBinding | null; reason: string } {
  if (cached) return cached;
  const forced = process.env.STEMEDB_BACKEND;
  if (forced === 'wasm') {
    cached = { binding: null, reason: 'STEMEDB_BACKEND=wasm' };
    return cached;
  }
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    cached = { binding: nodeGypBuild(packageRoot), reason: 'native addon loaded' };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
    if (forced === 'native') throw new Error(`STEMEDB_BACKEND=native but the addon did not load: ${message}`);
    cached = { binding: null, reason: message };
  }
  return cached;
}
