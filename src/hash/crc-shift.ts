/**
 * CRC32C arithmetic: moving a CRC past n bytes without reading them. CRC is linear
 * over GF(2), so crc32c(A ‖ B) = crc32cShift(crc32c(A), |B|) ^ crc32c(B) (zlib's
 * crc32_combine), and the CRC of any byte range follows from two prefix CRCs. Recovery
 * uses it to test every candidate frame position in time independent of its length.
 *
 * The shift by n bytes is multiplication by x^(8n) mod P: the register after n zero
 * bytes. Operators for 2^j zero bytes are kept as 4 x 256 lookup tables (4 KiB each,
 * built on first use), so a shift costs 4 lookups per set bit of n.
 */
import { CRC_BYTE_TABLE as T } from './crc-small.js';

const ops: Int32Array[] = [];

function apply(t: Int32Array, v: number): number {
  return t[v & 0xff]! ^ t[256 + ((v >>> 8) & 0xff)]! ^ t[512 + ((v >>> 16) & 0xff)]! ^ t[768 + (v >>> 24)]!;
}

/** The table of "append 2^j zero bytes" (a linear map: each entry is the image of one byte at one position). */
function operator(j: number): Int32Array {
  while (ops.length <= j) {
    const k = ops.length;
    const cols = new Int32Array(32);
    for (let i = 0; i < 32; i++) {
      const v = 1 << i;
      cols[i] = k === 0 ? T[v & 0xff]! ^ (v >>> 8) : apply(ops[k - 1]!, apply(ops[k - 1]!, v));
    }
    const t = new Int32Array(1024);
    for (let b = 0; b < 4; b++) {
      for (let x = 1; x < 256; x++) t[b * 256 + x] = t[b * 256 + (x & (x - 1))]! ^ cols[b * 8 + 31 - Math.clz32(x & -x)]!;
    }
    ops.push(t);
  }
  return ops[j]!;
}

/** crc · x^(8n) mod P: what a CRC32C becomes when n more bytes are appended, less the CRC of those bytes alone. */
export function crc32cShift(crc: number, n: number): number {
  let v = crc | 0;
  for (let j = 0; n > 0; j++) {
    if (n % 2 === 1) v = apply(operator(j), v);
    n = Math.floor(n / 2);
  }
  return v >>> 0;
}
