/**
 * CRC32C of short inputs without crossing N-API: the addon call alone costs ~55 ns,
 * more than the whole CRC of a short input (measured: benches/hash.ts).
 *
 * Up to WASM_FROM - 1 bytes: slicing-by-16 in JavaScript. From WASM_FROM bytes: the
 * same in a small WebAssembly module built below (its 32-bit loads need ~5 machine
 * instructions a byte where JavaScript's bounds-checked byte reads need ~10); the
 * input is copied into its memory first (~11 ns). Where WebAssembly is unavailable
 * (node --jitless) everything takes the JavaScript path.
 */
const POLY = 0x82f63b78;
/** 16 tables of 256 (16 KiB): T[256k + b] is the CRC register after byte b and then k zero bytes. */
const T = new Int32Array(16 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c;
}
for (let i = 256; i < T.length; i++) T[i] = (T[i - 256]! >>> 8) ^ T[T[i - 256]! & 0xff]!;
/** The one-byte table: the CRC register after byte b (for the shift operators in crc-shift.ts). */
export const CRC_BYTE_TABLE: Int32Array = T.subarray(0, 256);

/** Inputs up to this many bytes take the in-process path; longer ones go to the backend. */
export const SMALL_CRC_BYTES = 128;
/** Inputs from this many bytes take the WebAssembly path (when it exists). */
const WASM_FROM = 32;

/**
 * In each 16-byte step only the first word depends on the running CRC: the other 12
 * lookups are summed first, so the dependency chain through `c` is 4 lookups long.
 */
export function crc32cSmallJs(b: Uint8Array, seed: number): number {
  return crc32cRangeJs(b, 0, b.length, seed);
}

/** CRC32C of b[from, to) continuing from `seed`, in JavaScript, without a subarray (recovery's search calls it per candidate). */
export function crc32cRangeJs(b: Uint8Array, from: number, to: number, seed: number): number {
  let c = ~seed;
  let i = from;
  const n = to;
  for (; i + 16 <= n; i += 16) {
    const x =
      T[2816 + b[i + 4]!]! ^
      T[2560 + b[i + 5]!]! ^
      T[2304 + b[i + 6]!]! ^
      T[2048 + b[i + 7]!]! ^
      T[1792 + b[i + 8]!]! ^
      T[1536 + b[i + 9]!]! ^
      T[1280 + b[i + 10]!]! ^
      T[1024 + b[i + 11]!]! ^
      T[768 + b[i + 12]!]! ^
      T[512 + b[i + 13]!]! ^
      T[256 + b[i + 14]!]! ^
      T[b[i + 15]!]!;
    const w = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c = x ^ (T[3840 + (w & 0xff)]! ^ T[3584 + ((w >>> 8) & 0xff)]!) ^ (T[3328 + ((w >>> 16) & 0xff)]! ^ T[3072 + (w >>> 24)]!);
  }
  for (; i + 4 <= n; i += 4) {
    const w = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c = T[768 + (w & 0xff)]! ^ T[512 + ((w >>> 8) & 0xff)]! ^ (T[256 + ((w >>> 16) & 0xff)]! ^ T[w >>> 24]!);
  }
  for (; i < n; i++) c = T[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The module's memory (one page) holds the input at 0 and T from TABLES. */
const TABLES = 65536 - T.byteLength;

/**
 * The module, encoded here (no toolchain): memory "m" and c(len, seed) -> crc, the same
 * steps as crc32cSmallJs over 16, 8 and 4 bytes, then single bytes, on the input at 0.
 * Table indexes are pre-scaled: 4 * (byte j of x) = (x >>> (8j - 2)) & 0x3fc.
 */
function wasmModule(): number[] {
  const uleb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
  const sleb = (n: number): number[] => (n >= -64 && n < 64 ? [n & 0x7f] : [(n & 0x7f) | 0x80, ...sleb(n >> 7)]);
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const i32 = (n: number) => [0x41, ...sleb(n)];
  const load = (offset: number) => [0x28, 2, ...uleb(offset)]; // i32.load align=4
  const load8 = (offset: number) => [0x2d, 0, ...uleb(offset)]; // i32.load8_u
  const [xor, and, shl, shrU, add, sub, ltS, geS] = [[0x73], [0x71], [0x74], [0x76], [0x6a], [0x6b], [0x48], [0x4e]];
  const [ifThen, loop, brIf0, end] = [[0x04, 0x40], [0x03, 0x40], [0x0d, 0], [0x0b]];
  const [LEN, SEED, P, C, X] = [0, 1, 2, 3, 4]; // params, then i32 locals
  const lookup = (table: number, j: number) => [
    ...get(X),
    ...(j === 0 ? [...i32(2), ...shl] : [...i32(8 * j - 2), ...shrU]),
    ...i32(0x3fc),
    ...and,
    ...load(TABLES + table * 1024),
  ];
  // C = CRC register after `words` more 4-byte words at P (words = 4, 2 or 1); P += 4 * words.
  const step = (words: number) => {
    const r: number[] = [];
    for (let w = 1; w < words; w++) {
      r.push(...get(P), ...load(4 * w), ...set(X));
      for (let j = 0; j < 4; j++) r.push(...lookup(4 * (words - w) - 1 - j, j), ...(w + j > 1 ? xor : []));
    }
    const top = 4 * words - 1;
    r.push(...get(C), ...get(P), ...load(0), ...xor, ...set(X));
    r.push(...lookup(top, 0), ...lookup(top - 1, 1), ...xor, ...lookup(top - 2, 2), ...lookup(top - 3, 3), ...xor, ...xor);
    if (words > 1) r.push(...xor);
    return [...r, ...set(C), ...get(P), ...i32(4 * words), ...add, ...set(P)];
  };
  const whileLess = (limit: number[], body: number[]) => [
    ...get(P),
    ...limit,
    ...ltS,
    ...ifThen,
    ...loop,
    ...body,
    ...get(P),
    ...limit,
    ...ltS,
    ...brIf0,
    ...end,
    ...end,
  ];
  const ifLeft = (bytes: number, body: number[]) => [...get(LEN), ...get(P), ...sub, ...i32(bytes), ...geS, ...ifThen, ...body, ...end];
  const byteStep = [
    ...get(C),
    ...get(P),
    ...load8(0),
    ...xor,
    ...i32(0xff),
    ...and,
    ...i32(2),
    ...shl,
    ...load(TABLES),
    ...get(C),
    ...i32(8),
    ...shrU,
    ...xor,
    ...set(C),
    ...get(P),
    ...i32(1),
    ...add,
    ...set(P),
  ];
  const body = [
    ...get(SEED),
    ...i32(-1),
    ...xor,
    ...set(C),
    ...whileLess([...get(LEN), ...i32(15), ...sub], step(4)),
    ...ifLeft(8, step(2)),
    ...ifLeft(4, step(1)),
    ...whileLess(get(LEN), byteStep),
    ...get(C),
    ...i32(-1),
    ...xor,
    ...end,
  ];
  const code = [1, 3, 0x7f, ...body]; // 3 i32 locals
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  return [
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type: (i32, i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0, 1]), // memory: 1 page, no maximum
    ...section(7, [2, 1, 0x6d, 2, 0, 1, 0x63, 0, 0]), // export "m" = memory 0, "c" = function 0
    ...section(10, [1, ...uleb(code.length), ...code]),
  ];
}

function createWasm(): ((b: Uint8Array, seed: number) => number) | undefined {
  let mem: Uint8Array;
  let crc: (len: number, seed: number) => number;
  try {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wasmModule())));
    mem = new Uint8Array((exports.m as WebAssembly.Memory).buffer); // never grows: the view stays valid
    crc = exports.c as typeof crc;
  } catch {
    return undefined; // no WebAssembly here (node --jitless)
  }
  mem.set(new Uint8Array(T.buffer), TABLES);
  const set = Uint8Array.prototype.set; // set.call(mem, b) measured ~4 ns cheaper than mem.set(b, offset)
  return (b, seed) => {
    set.call(mem, b);
    return crc(b.length, seed) >>> 0;
  };
}

const wasm = createWasm();

/**
 * CRC32C of `b` continuing from `seed` (both checked by the caller). Meant for inputs up to
 * SMALL_CRC_BYTES; longer ones are right too, on the JavaScript path (they must not reach the
 * module, whose input space ends where its tables start).
 */
export const crc32cSmall: (b: Uint8Array, seed: number) => number =
  wasm === undefined ? crc32cSmallJs : (b, seed) => (b.length < WASM_FROM || b.length > SMALL_CRC_BYTES ? crc32cSmallJs(b, seed) : wasm(b, seed));
