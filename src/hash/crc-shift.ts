/**
 * CRC32C arithmetic: moving a CRC past n bytes without reading them. CRC is linear
 * over GF(2), so crc32c(A ‖ B) = crc32cShift(crc32c(A), |B|) ^ crc32c(B) (zlib's
 * crc32_combine), and the CRC of any byte range follows from two prefix CRCs. Recovery
 * uses it to test every candidate frame position in time independent of its length.
 *
 * The shift by n bytes is multiplication by x^(8n) mod P: the register after n zero
 * bytes. The operator for d · 16^k zero bytes (d = 1..15) is kept as a 4 x 256 lookup
 * table (4 KiB; built on first use, at most 120 of them for n < 2^32), so a shift costs
 * 4 lookups per nonzero hex digit of n.
 */
import { CRC_BYTE_TABLE as T } from './crc-small.js';

/** ops[16k + d]: "append d · 16^k zero bytes". */
const ops: Array<Int32Array | undefined> = [];

function apply(t: Int32Array, v: number): number {
  return t[v & 0xff]! ^ t[256 + ((v >>> 8) & 0xff)]! ^ t[512 + ((v >>> 16) & 0xff)]! ^ t[768 + (v >>> 24)]!;
}

/** The table of a linear map given by its images of the 32 single bits. */
function tableOf(image: (v: number) => number): Int32Array {
  const cols = new Int32Array(32);
  for (let i = 0; i < 32; i++) cols[i] = image(1 << i);
  const t = new Int32Array(1024);
  for (let b = 0; b < 4; b++) {
    for (let x = 1; x < 256; x++) t[b * 256 + x] = t[b * 256 + (x & (x - 1))]! ^ cols[b * 8 + 31 - Math.clz32(x & -x)]!;
  }
  return t;
}

function operator(k: number, d: number): Int32Array {
  const i = 16 * k + d;
  let t = ops[i];
  if (t === undefined) {
    if (k === 0 && d === 1) t = tableOf((v) => T[v & 0xff]! ^ (v >>> 8));
    else if (d === 1) {
      const prev = operator(k - 1, 15);
      const one = operator(k - 1, 1);
      t = tableOf((v) => apply(one, apply(prev, v)));
    } else {
      const prev = operator(k, d - 1);
      const one = operator(k, 1);
      t = tableOf((v) => apply(one, apply(prev, v)));
    }
    ops[i] = t;
  }
  return t;
}

/** crc · x^(8n) mod P: what a CRC32C becomes when n more bytes are appended, less the CRC of those bytes alone. */
export function crc32cShift(crc: number, n: number): number {
  let v = crc | 0;
  for (let k = 0; n > 0; k++) {
    const d = n % 16;
    if (d !== 0) v = apply(operator(k, d), v);
    n = Math.floor(n / 16);
  }
  return v >>> 0;
}
