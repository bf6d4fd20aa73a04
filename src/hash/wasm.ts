/**
 * The fallback backend: CRC32C and the plain 32-byte BLAKE3 (the journal's hot
 * paths) run in WebAssembly through hash-wasm. hash-wasm fixes a BLAKE3
 * instance's key and output length when it is created, asynchronously, so the
 * synchronous keyed, derive-key, other-length and streaming calls go through
 * @noble/hashes (audited pure JS). `impl` says exactly that.
 *
 * Created synchronously (no top-level await, so the package can be required
 * from CommonJS): hash-wasm's modules compile in the background from the first
 * use on; until they are ready (a few ms; `ready()` resolves then, and the
 * journal's open awaits it) the same algorithms run in JavaScript.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { Blake3Mode, type HashBackend, type RawHasher } from './backend.js';
import { FRAME_HEADER } from '../format/frame.js';
import { crc32cSmallJs } from './crc-small.js';
import { type FrameCrc, framePrefix, sealFramesJs, verifyFramesJs } from './frames-js.js';
import { crc32cCheckpointsJs, findFrameJs } from './find-frame-js.js';

const encoder = new TextEncoder();

interface HotPaths {
  crc32c(data: Uint8Array, seed: number): number;
  frameCrc: FrameCrc;
  hash32(data: Uint8Array): Uint8Array;
  names: { crc32c: string; blake3: string };
}

const NOBLE_REST = '(keyed, derive-key, XOF, streaming: @noble/hashes)';

function jsHotPaths(): HotPaths {
  const prefix = new Uint8Array(12);
  return {
    crc32c: crc32cSmallJs,
    frameCrc(offset, len, hash, payload) {
      const n = framePrefix(prefix, offset, len);
      return crc32cSmallJs(payload, crc32cSmallJs(hash, crc32cSmallJs(prefix.subarray(0, n), 0)));
    },
    hash32: (data) => nobleBlake3(data),
    names: { crc32c: 'JavaScript (until hash-wasm is ready)', blake3: `@noble/hashes (until hash-wasm is ready) ${NOBLE_REST}` },
  };
}

async function hashWasmHotPaths(): Promise<HotPaths> {
  const { createBLAKE3, createCRC32 } = await import('hash-wasm');
  const crc = await createCRC32(0x82f63b78);
  const b3 = await createBLAKE3(256);
  // hash-wasm's CRC32 state is [4-byte tag][finished CRC, LE]; writing a seed
  // there continues a running CRC.
  crc.init();
  const crcState = crc.save().slice();
  const crcSeed = new DataView(crcState.buffer, crcState.byteOffset + 4, 4);

  const digestU32 = (): number => {
    const d = crc.digest('binary');
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  };
  const crc32c = (data: Uint8Array, seed: number): number => {
    if (seed === 0)
      crc.init(); // load() costs ~350 ns; only a real seed needs it
    else {
      crcSeed.setUint32(0, seed, true);
      crc.load(crcState);
    }
    crc.update(data);
    return digestU32();
  };
  const prefix = new Uint8Array(12);
  const frameCrc: FrameCrc = (offset, len, hash, payload) => {
    const n = framePrefix(prefix, offset, len);
    crc.init();
    crc.update(n === prefix.length ? prefix : prefix.subarray(0, n));
    crc.update(hash);
    crc.update(payload);
    return digestU32();
  };
  const hash32 = (data: Uint8Array): Uint8Array => b3.init().update(data).digest('binary').slice();
  return { crc32c, frameCrc, hash32, names: { crc32c: 'hash-wasm', blake3: `hash-wasm ${NOBLE_REST}` } };
}

/** `onFirstUse` runs once, when the backend is first used (the package warns there). */
export function createWasmHash(onFirstUse?: () => void): HashBackend {
  let hot = jsHotPaths();
  let loading: Promise<void> | undefined;
  const ready = (): Promise<void> =>
    (loading ??= (onFirstUse?.(), hashWasmHotPaths()).then(
      (paths) => {
        hot = paths;
      },
      () => {}, // no WebAssembly here (node --jitless): the JavaScript paths stay, correct and slower
    ));
  const use = (): void => {
    if (loading === undefined) void ready();
  };
  const hash32 = (data: Uint8Array): Uint8Array => hot.hash32(data);
  const frameCrc: FrameCrc = (offset, len, hash, payload) => hot.frameCrc(offset, len, hash, payload);

  const nobleOpts = (mode: Blake3Mode, keyOrContext?: Uint8Array | string) =>
    mode === Blake3Mode.Keyed ? { key: keyOrContext as Uint8Array } : mode === Blake3Mode.DeriveKey ? { context: encoder.encode(keyOrContext as string) } : {};

  const wrapNoble = (h: ReturnType<typeof nobleBlake3.create>): RawHasher => ({
    update: (data) => {
      h.update(data);
    },
    digest: (out, seek) => {
      // noble's XOF reads forward only: read from a clone, skipping `seek` bytes.
      const reader = h.clone();
      if (seek > 0) reader.xof(seek);
      out.set(reader.xof(out.length));
    },
    copy: () => wrapNoble(h.clone()),
  });

  const blake3 = (data: Uint8Array, out: Uint8Array, mode: Blake3Mode, keyOrContext?: Uint8Array | string): void => {
    use();
    if (mode === Blake3Mode.Plain && out.length === 32) {
      out.set(hash32(data));
      return;
    }
    out.set(nobleBlake3(data, { ...nobleOpts(mode, keyOrContext), dkLen: out.length }));
  };

  return {
    name: 'wasm',
    get impl() {
      return hot.names;
    },
    ready,
    crc32c(data, seed) {
      use();
      return hot.crc32c(data, seed);
    },
    blake3,
    async blake3Async(data, outLen) {
      await ready();
      const out = new Uint8Array(outLen);
      blake3(data, out, Blake3Mode.Plain);
      return out;
    },
    createHasher: (mode, keyOrContext) => (use(), wrapNoble(nobleBlake3.create(nobleOpts(mode, keyOrContext)))),
    frameBatch(data, lengths, hashes, crcs, offset) {
      use();
      let off = 0;
      for (let i = 0; i < lengths.length; i++) {
        const payload = data.subarray(off, off + lengths[i]!);
        const h = hash32(payload);
        hashes.set(h, i * 32);
        crcs[i] = frameCrc(offset === null ? null : offset + off + i * FRAME_HEADER, payload.length, h, payload);
        off += payload.length;
      }
    },
    sealFrames: (buf, count, hashes, offset) => (use(), sealFramesJs(frameCrc, hash32, buf, count, hashes, offset)),
    crc32cCheckpoints: crc32cCheckpointsJs,
    findFrame: (buf, from, checkpoints, step, offset) => (
      use(),
      findFrameJs((b, start, end, at) => verifyFramesJs(frameCrc, hash32, b, start, end, 0xffffffff, 1, at), buf, from, checkpoints, step, offset)
    ),
    verifyFrames: (buf, start, end, maxLen, maxCount, offset) => (use(), verifyFramesJs(frameCrc, hash32, buf, start, end, maxLen, maxCount, offset)),
  };
}
