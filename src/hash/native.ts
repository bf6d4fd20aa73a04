/** The hash backend over the C++ addon: thin wrappers, one crossing per call. */
import type { NativeBinding } from '../native/binding.js';
import { Blake3Mode, type FrameWalk, type HashBackend, type RawHasher } from './backend.js';

export function createNativeHash(b: NativeBinding): HashBackend {
  const walkOut = new Float64Array(3);
  const wrapHasher = (handle: unknown): RawHasher => ({
    update: (data) => b.hasherUpdate(handle, data),
    digest: (out, seek) => b.hasherDigest(handle, out, seek),
    copy: () => wrapHasher(b.hasherCopy(handle)),
  });
  return {
    name: 'native',
    impl: b.hashInfo(),
    ready: () => Promise.resolve(),
    crc32c: (data, seed) => b.crc32c(data, seed),
    blake3: (data, out, mode, keyOrContext) => (mode === Blake3Mode.Plain ? b.blake3(data, out, 0) : b.blake3(data, out, mode, keyOrContext)),
    blake3Async: (data, outLen) => b.blake3Async(data, outLen),
    createHasher: (mode, keyOrContext) => wrapHasher(b.hasherCreate(mode, keyOrContext)),
    frameBatch: (data, lengths, hashes, crcs, offset) => b.frameBatch(data, lengths, hashes, crcs, offset ?? undefined),
    sealFrames: (buf, count, hashes, offset) => b.sealFrames(buf, count, hashes, offset ?? undefined),
    crc32cCheckpoints: (buf, step, out) => b.crc32cCheckpoints(buf, step, out),
    findFrame: (buf, from, checkpoints, step, offset) => b.findFrame(buf, from, checkpoints, step, offset ?? undefined),
    verifyFrames(buf, start, end, maxLen, maxCount, offset): FrameWalk {
      const status = b.verifyFrames(buf, start, end, maxLen, maxCount, walkOut, offset ?? undefined);
      return { count: walkOut[0]!, pos: walkOut[1]!, status };
    },
  };
}
