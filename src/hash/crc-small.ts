/**
 * CRC32C of short inputs in JavaScript (slicing-by-8). Below ~64 bytes the
 * N-API call alone costs more than the whole CRC, so the public crc32c() keeps
 * small inputs on this side of the boundary (measured: benches/hash.ts).
 */
const POLY = 0x82f63b78;
const T = new Int32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c;
}
for (let t = 1; t < 8; t++) {
  for (let i = 0; i < 256; i++) T[t * 256 + i] = (T[(t - 1) * 256 + i]! >>> 8) ^ T[T[(t - 1) * 256 + i]! & 0xff]!;
}

/** Inputs up to this many bytes take the JavaScript path. */
export const SMALL_CRC_BYTES = 64;

export function crc32cSmall(b: Uint8Array, seed: number): number {
  let c = ~seed;
  let i = 0;
  const n = b.length;
  for (; i + 8 <= n; i += 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c = T[1792 + (lo & 0xff)]! ^ T[1536 + ((lo >>> 8) & 0xff)]! ^ T[1280 + ((lo >>> 16) & 0xff)]! ^ T[1024 + (lo >>> 24)]! ^
      T[768 + b[i + 4]!]! ^ T[512 + b[i + 5]!]! ^ T[256 + b[i + 6]!]! ^ T[b[i + 7]!]!;
  }
  for (; i < n; i++) c = T[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
