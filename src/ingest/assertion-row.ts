/**
 * The ingestor's fast path for assertion payloads: a scan of the bytes (scanAssertion), then the
 * assertions INSERT's bind values straight from it (rowFromScan), without the general decoder's
 * intermediate objects (the MessagePack structure check, msgpackr's field array, the Assertion,
 * the DecodedRecord).
 *
 * It accepts only the common shape, and only where it is sure to give exactly what
 * decodeRecord() + the store would: ASCII strings (always valid UTF-8 and well-formed UTF-16),
 * integers and float64s, a 16-byte epoch, evidence as a fixarray of ASCII strings. Anything
 * else (non-ASCII text, float32, ext types, bad values, an error of any kind) returns false and
 * the caller takes the general path, which decides, and words any DecodeError, as before.
 */
import { EPOCH_ID_BYTES, RecordType } from './records.js';
import { HEADER_BYTES } from './codec.js';

/** Positions in the bind array (the column order of the assertions INSERT). */
export const ROW_HASH = 0;
export const ROW_OFFSET = 10;
export const ROW_VALUES = 11;

// The object_kind values of store-write.ts's ObjectKind (string, number, boolean, bytes).
const KIND_STRING = 0;
const KIND_NUMBER = 1;
const KIND_BOOLEAN = 2;
const KIND_BYTES = 3;

/**
 * A scanned payload: where each field lies (byte positions from the payload's start) and the
 * numbers, in SCAN_SLOTS doubles. Scanning (parsing and checking) and making the bind values are
 * two steps so that the first can run on another thread (read-thread/) and only the second, which
 * creates the strings SQLite binds, on the thread that owns the connection.
 */
const S_SUBJECT = 0; // start, end
const S_PREDICATE = 2; // start, end
const S_KIND = 4;
const S_OBJECT = 5; // string and bytes: start, end; number and boolean: the value
const S_EPOCH = 7; // start (16 bytes)
const S_AUTHOR = 8; // start, end
const S_CONFIDENCE = 10;
const S_CREATED_AT = 11;
const S_EVIDENCE_COUNT = 12; // -1: none
const S_EVIDENCE_AT = 13; // the first item's header
export const SCAN_SLOTS = 14;

/** Fails the fast path: the caller falls back to the general decoder. */
const NO = -1;

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Parse state, module-level to avoid an object per value (each thread has its own module instance).
let pos = 0;
let strStart = 0;

/** assertionRow's scan, reused call after call. */
const scratch = new Float64Array(SCAN_SLOTS);

/**
 * Fills out[at + 1 .. at + 9] (subject .. evidence) from an assertion payload in the common shape
 * and returns true; returns false (those slots partly written) for anything else. The caller sets
 * the hash (out[at + ROW_HASH]) and the offset (out[at + ROW_OFFSET]).
 */
export function assertionRow(p: Uint8Array, out: unknown[], at = 0): boolean {
  if (!scanAssertion(p, scratch, 0)) return false;
  rowFromScan(p, 0, scratch, 0, out, at);
  return true;
}

/**
 * Checks an assertion payload for the common shape and writes its field positions and numbers to
 * scan[at .. at + SCAN_SLOTS); returns false for anything else (the slots then mean nothing).
 */
export function scanAssertion(p: Uint8Array, scan: Float64Array, at: number): boolean {
  const end = p.length;
  if (end < HEADER_BYTES + 1 || p[0] !== RecordType.Assertion) return false;
  if ((p[1]! | p[2]! | p[3]! | p[4]! | p[5]! | p[6]! | p[7]!) !== 0) return false;
  if (p[HEADER_BYTES] !== 0x98) return false; // fixarray of the 8 fields
  pos = HEADER_BYTES + 1;
  // subject, predicate: non-empty strings
  if (readString(p, end) <= 0) return false;
  scan[at + S_SUBJECT] = strStart;
  scan[at + S_SUBJECT + 1] = pos;
  if (readString(p, end) <= 0) return false;
  scan[at + S_PREDICATE] = strStart;
  scan[at + S_PREDICATE + 1] = pos;
  // object: string, number, boolean or bytes
  if (pos >= end) return false;
  const b = p[pos]!;
  if (b === 0xc2 || b === 0xc3) {
    scan[at + S_OBJECT] = b === 0xc3 ? 1 : 0;
    scan[at + S_KIND] = KIND_BOOLEAN;
    pos++;
  } else if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) {
    if (readString(p, end) < 0) return false;
    scan[at + S_OBJECT] = strStart;
    scan[at + S_OBJECT + 1] = pos;
    scan[at + S_KIND] = KIND_STRING;
  } else if (b === 0xc4) {
    if (pos + 2 > end) return false;
    const len = p[pos + 1]!;
    if (pos + 2 + len > end) return false;
    scan[at + S_OBJECT] = pos + 2;
    scan[at + S_OBJECT + 1] = pos + 2 + len;
    scan[at + S_KIND] = KIND_BYTES;
    pos += 2 + len;
  } else {
    const n = readNumber(p, end);
    if (!Number.isFinite(n)) return false;
    scan[at + S_OBJECT] = n;
    scan[at + S_KIND] = KIND_NUMBER;
  }
  // epoch: bin 8 of 16 bytes
  if (pos + 2 + EPOCH_ID_BYTES > end || p[pos] !== 0xc4 || p[pos + 1] !== EPOCH_ID_BYTES) return false;
  scan[at + S_EPOCH] = pos + 2;
  pos += 2 + EPOCH_ID_BYTES;
  // author
  if (readString(p, end) <= 0) return false;
  scan[at + S_AUTHOR] = strStart;
  scan[at + S_AUTHOR + 1] = pos;
  // confidence in [0, 1]
  const confidence = readNumber(p, end);
  if (!(confidence >= 0 && confidence <= 1)) return false;
  scan[at + S_CONFIDENCE] = confidence;
  // createdAt: a safe integer >= 0
  const createdAt = readNumber(p, end);
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) return false;
  scan[at + S_CREATED_AT] = createdAt;
  // evidence: nil, or a fixarray of strings ([] means none)
  if (pos >= end) return false;
  const e = p[pos++]!;
  if (e === 0xc0 || e === 0x90) {
    scan[at + S_EVIDENCE_COUNT] = -1;
  } else if (e > 0x90 && e <= 0x9f) {
    scan[at + S_EVIDENCE_COUNT] = e & 0x0f;
    scan[at + S_EVIDENCE_AT] = pos;
    for (let i = e & 0x0f; i > 0; i--) if (readString(p, end) < 0) return false;
  } else {
    return false;
  }
  return pos === end;
}

/**
 * out[outAt + 1 .. outAt + 9] from a payload scanAssertion accepted: `bytes` holds the payload at
 * `base`, `scan[at ..]` is its scan.
 */
export function rowFromScan(bytes: Uint8Array, base: number, scan: Float64Array, at: number, out: unknown[], outAt: number): void {
  out[outAt + 1] = latin1Slice.call(bytes, base + (scan[at + S_SUBJECT]! | 0), base + (scan[at + S_SUBJECT + 1]! | 0));
  out[outAt + 2] = latin1Slice.call(bytes, base + (scan[at + S_PREDICATE]! | 0), base + (scan[at + S_PREDICATE + 1]! | 0));
  const kind = scan[at + S_KIND]!;
  if (kind === KIND_STRING) out[outAt + 3] = latin1Slice.call(bytes, base + (scan[at + S_OBJECT]! | 0), base + (scan[at + S_OBJECT + 1]! | 0));
  else if (kind === KIND_BYTES) out[outAt + 3] = bytes.subarray(base + (scan[at + S_OBJECT]! | 0), base + (scan[at + S_OBJECT + 1]! | 0));
  else out[outAt + 3] = scan[at + S_OBJECT]!;
  out[outAt + 4] = kind;
  const epoch = base + (scan[at + S_EPOCH]! | 0);
  out[outAt + 5] = bytes.subarray(epoch, epoch + EPOCH_ID_BYTES);
  out[outAt + 6] = latin1Slice.call(bytes, base + (scan[at + S_AUTHOR]! | 0), base + (scan[at + S_AUTHOR + 1]! | 0));
  out[outAt + 7] = scan[at + S_CONFIDENCE]!;
  out[outAt + 8] = scan[at + S_CREATED_AT]!;
  const count = scan[at + S_EVIDENCE_COUNT]!;
  if (count < 0) {
    out[outAt + 9] = null;
    return;
  }
  const items: string[] = [];
  pos = base + (scan[at + S_EVIDENCE_AT]! | 0);
  for (let i = 0; i < count; i++) {
    readString(bytes, bytes.length); // checked by the scan: a str of ASCII
    items.push(latin1Slice.call(bytes, strStart, pos));
  }
  out[outAt + 9] = JSON.stringify(items);
}

/** An ASCII string at `pos`: steps over it, sets strStart; returns its length, or NO (not a string, not ASCII, cut off). */
function readString(p: Uint8Array, end: number): number {
  if (pos >= end) return NO;
  const b = p[pos]!;
  let len: number;
  let start: number;
  if (b >= 0xa0 && b <= 0xbf) {
    len = b & 0x1f;
    start = pos + 1;
  } else if (b === 0xd9) {
    if (pos + 2 > end) return NO;
    len = p[pos + 1]!;
    start = pos + 2;
  } else if (b === 0xda) {
    if (pos + 3 > end) return NO;
    len = (p[pos + 1]! << 8) | p[pos + 2]!;
    start = pos + 3;
  } else {
    return NO; // str 32 and everything else: the general path
  }
  const stop = start + len;
  if (stop > end) return NO;
  for (let i = start; i < stop; i++) if (p[i]! >= 0x80) return NO;
  strStart = start;
  pos = stop;
  return len;
}

/** A MessagePack integer or float 64 at `pos`; NaN when it is something else (or cut off, or not exact). */
function readNumber(p: Uint8Array, end: number): number {
  if (pos >= end) return NaN;
  const b = p[pos]!;
  if (b <= 0x7f) {
    pos++;
    return b;
  }
  if (b >= 0xe0) {
    pos++;
    return b - 0x100;
  }
  switch (b) {
    case 0xcb:
      return bytes(p, end, 8) ? readF64(p, pos - 8) : NaN;
    case 0xcc:
      return bytes(p, end, 1) ? p[pos - 1]! : NaN;
    case 0xcd:
      return bytes(p, end, 2) ? (p[pos - 2]! << 8) | p[pos - 1]! : NaN;
    case 0xce:
      return bytes(p, end, 4) ? u32(p, pos - 4) : NaN;
    case 0xcf: {
      if (!bytes(p, end, 8)) return NaN;
      const v = u32(p, pos - 8) * 4294967296 + u32(p, pos - 4);
      return Number.isSafeInteger(v) ? v : NaN;
    }
    case 0xd0:
      return bytes(p, end, 1) ? (p[pos - 1]! << 24) >> 24 : NaN;
    case 0xd1:
      return bytes(p, end, 2) ? (((p[pos - 2]! << 8) | p[pos - 1]!) << 16) >> 16 : NaN;
    case 0xd2:
      return bytes(p, end, 4) ? u32(p, pos - 4) | 0 : NaN;
    case 0xd3: {
      if (!bytes(p, end, 8)) return NaN;
      const v = (u32(p, pos - 8) | 0) * 4294967296 + u32(p, pos - 4);
      return Number.isSafeInteger(v) ? v : NaN;
    }
    default:
      return NaN; // float 32 and non-numbers: the general path
  }
}

/** Steps over the type byte and `n` bytes if they are all there. */
function bytes(p: Uint8Array, end: number, n: number): boolean {
  if (pos + 1 + n > end) return false;
  pos += 1 + n;
  return true;
}

function u32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) >>> 0) + ((p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!);
}

function readF64(p: Uint8Array, at: number): number {
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[i] = p[at + 7 - i]!;
  else for (let i = 0; i < 8; i++) f64Bytes[i] = p[at + i]!;
  return f64[0]!;
}
