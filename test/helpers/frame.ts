import { hashFrames } from '../../src/hash/index.js';

/** The frame of `payload` as written at global `offset` (v3), or unbound (v2) when offset is null. */
export function frameAt(payload: Uint8Array, offset: number | null): Uint8Array {
  const { hashes, crcs } = hashFrames([payload], offset === null ? undefined : { offset });
  const f = new Uint8Array(40 + payload.length);
  const v = new DataView(f.buffer);
  v.setUint32(0, payload.length, true);
  v.setUint32(4, crcs[0]!, true);
  f.set(hashes, 8);
  f.set(payload, 40);
  return f;
}
