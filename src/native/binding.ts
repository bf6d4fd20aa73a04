/**
 * Finds the native addon at run time in node-gyp-build's order (build/Release,
 * build/Debug, then the matching prebuilds/<platform>-<arch>/ file), so a missing
 * or broken binary never makes the import fail. A binary that exists but does not
 * load (dlopen fails: wrong libc, too old a glibc, an untested macOS build) is
 * skipped for the next one that loads, else callers fall back to the wasm backend;
 * either way one StemedbWarning names the file and the loader's error.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { StemeError } from '../errors.js';
import type { NativeIoBinding } from '../io/native.js';

const require = createRequire(import.meta.url);
// src/native and dist/native both sit two levels below the package root.
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: { binding: NativeBinding | null; reason: string } | undefined;

/** The BLAKE3 path per size class of the input (see `hashInfo()`). */
interface Blake3Paths {
  block: string;
  chunk: string;
  tree: string;
}

/** The addon's exports (see native/addon.h); its IO functions are declared beside their adapter. */
export interface NativeBinding extends NativeIoBinding {
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
  /**
   * The paths chosen at run time. `blake3Paths`: the one `blake3()` takes per size class
   * (block: <= 64 B, chunk: <= 1 KiB, tree: longer), picked by timing the candidates at first
   * use; a tree path "avx512+portable" is the avx512 lanes with the portable single-block
   * compression (parents, root). `blake3` is the tree path.
   */
  hashInfo(): { crc32c: string; blake3: string; blake3Paths: Blake3Paths };
  blake3SetImpl(name: string): boolean;
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
  const loaded = loadAddonFrom(packageRoot);
  if (!loaded.binding && forced === 'native') throw new StemeError('NATIVE_UNAVAILABLE', `STEMEDB_BACKEND=native but the addon did not load: ${loaded.reason}`);
  cached = { binding: loaded.binding, reason: loaded.reason };
  return cached;
}

interface NodeGypBuild {
  path(dir: string): string;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (tags: unknown) => boolean;
  compareTags(runtime: string): (a: unknown, b: unknown) => number;
}

const firstLine = (err: unknown): string => (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every binary node-gyp-build could pick for this process, in its order of preference. */
function candidates(root: string, ngb: NodeGypBuild): string[] {
  const out: string[] = [];
  for (const sub of ['build/Release', 'build/Debug']) {
    const file = listDir(join(root, sub)).find((f) => f.endsWith('.node'));
    if (file) out.push(join(root, sub, file));
  }
  // The prebuild node-gyp-build would take if there were no build/ (its own tag
  // matching, so the libc and N-API tags are judged exactly as it judges them).
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const tags = listDir(dir)
    .map((f) => ngb.parseTags(f))
    .filter(ngb.matchTags('node', process.versions.modules));
  const best = tags.sort(ngb.compareTags('node'))[0] as { file: string } | undefined;
  if (best) out.push(join(dir, best.file));
  return out;
}

/**
 * Loads the first binary under `root` that loads. Exported for tests (any package
 * folder); loadBindingWithReason() uses the package's own root, once.
 */
export function loadAddonFrom(root: string): { binding: NativeBinding | null; reason: string; file?: string } {
  let ngb: NodeGypBuild;
  let files: string[];
  try {
    ngb = require('node-gyp-build') as NodeGypBuild;
    const chosen = ngb.path(root); // throws "No native build was found ..." when there is none
    files = [chosen, ...candidates(root, ngb).filter((f) => f !== chosen)];
  } catch (err) {
    return { binding: null, reason: firstLine(err) };
  }
  const failures: string[] = [];
  let result: { binding: NativeBinding | null; reason: string; file?: string } | undefined;
  for (const file of files) {
    try {
      result = { binding: require(file) as NativeBinding, reason: 'native addon loaded', file };
      break;
    } catch (err) {
      failures.push(`${relative(root, file)}: ${firstLine(err)}`);
    }
  }
  result ??= { binding: null, reason: `no native binary loaded (${failures.join('; ')})` };
  if (failures.length) {
    const prebuild = failures.some((f) => f.startsWith('prebuilds'));
    const using = result.file ? relative(root, result.file) : 'the WebAssembly backend';
    process.emitWarning(`stemedb: the native addon did not load (${failures.join('; ')}); using ${using}`, {
      type: 'StemedbWarning',
      code: prebuild ? 'STEMEDB_PREBUILD_LOAD_FAILED' : 'STEMEDB_BUILD_LOAD_FAILED',
    });
  }
  return result;
}
