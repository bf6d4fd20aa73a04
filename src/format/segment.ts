/**
 * Segment files: their names, their 32-byte header, and where a global offset lies in
 * one (docs/format.md, "Segment files"). Byte layout only, no I/O.
 *
 *   0            8         12        16                  24        28        32
 *   +------------+---------+---------+-------------------+---------+---------+
 *   | magic      | version | header  | base offset       | flags   | crc32c  |
 *   | "STEMEWAL" | u32 LE  | u32 LE  | u64 LE            | u32 LE  | u32 LE  |
 *   |            | 3 (2)   | = 32    | first record's    | = 0     | of      |
 *   |            |         |         | global offset     |         | 0..28   |
 *   +------------+---------+---------+-------------------+---------+---------+
 *   then records (frame.ts) from file position 32: the record at file position p
 *   has global offset base + (p - 32).
 *
 * Version 3: frames bound to their offsets (every segment created now); version 2 (frames
 * not bound) is still read, and appended to while it is the tail.
 */
import { strict as assert } from 'node:assert';
import { crc32c } from '../hash/index.js';
import { SegmentFormatError } from '../errors.js';
import { BOUND_FRAME_VERSION } from './frame.js';

const MAGIC_AT = 0;
const VERSION_AT = 8;
const HEADER_SIZE_AT = 12;
const BASE_AT = 16;
const FLAGS_AT = 24;
const HEADER_CRC_AT = 28;
export const SEGMENT_HEADER = 32;

/** The version new segments get: v3 frames, each CRC bound to the record's global offset. */
export const FORMAT_VERSION = 3;
/** v2 segments (frames not bound to their offsets) are still read, and appended to when one is the tail. */
const OLDEST_READABLE_VERSION = 2;
export const MAGIC = new TextEncoder().encode('STEMEWAL');
export const SEGMENT_SUFFIX = '.wal';
/** A segment being created: header written and synced under this suffix, then renamed (rule 1). */
export const TMP_SUFFIX = '.tmp';

/** The file name of the segment whose first record has global offset `base`: 20 digits. */
export function segmentName(base: number): string {
  return String(base).padStart(20, '0') + SEGMENT_SUFFIX;
}

const NAME_RE = /^(\d{20})\.wal$/;

/** The base offset encoded in a segment file name, or null for other files. */
export function parseSegmentName(name: string): number | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const base = Number(m[1]);
  return Number.isSafeInteger(base) ? base : null;
}

export function encodeSegmentHeader(base: number, version = FORMAT_VERSION): Uint8Array {
  const h = new Uint8Array(SEGMENT_HEADER);
  const v = new DataView(h.buffer);
  h.set(MAGIC, MAGIC_AT);
  v.setUint32(VERSION_AT, version, true);
  v.setUint32(HEADER_SIZE_AT, SEGMENT_HEADER, true);
  v.setBigUint64(BASE_AT, BigInt(base), true);
  v.setUint32(FLAGS_AT, 0, true);
  v.setUint32(HEADER_CRC_AT, crc32c(h.subarray(0, HEADER_CRC_AT)), true);
  return h;
}

/** Checks a segment header read from `file`; returns its base offset and format version. */
export function decodeSegmentHeader(h: Uint8Array, file: string): { base: number; version: number } {
  if (h.length < SEGMENT_HEADER) throw new SegmentFormatError(file, `header truncated (${h.length} of ${SEGMENT_HEADER} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (h[MAGIC_AT + i] !== MAGIC[i]) throw new SegmentFormatError(file, 'bad magic (not a stemedb segment)');
  }
  const v = new DataView(h.buffer, h.byteOffset, SEGMENT_HEADER);
  if (v.getUint32(HEADER_CRC_AT, true) !== crc32c(h.subarray(0, HEADER_CRC_AT))) throw new SegmentFormatError(file, 'header checksum mismatch');
  const version = v.getUint32(VERSION_AT, true);
  if (version < OLDEST_READABLE_VERSION || version > FORMAT_VERSION) {
    throw new SegmentFormatError(file, `format version ${version}, this build reads ${OLDEST_READABLE_VERSION} to ${FORMAT_VERSION}`);
  }
  if (v.getUint32(HEADER_SIZE_AT, true) !== SEGMENT_HEADER) throw new SegmentFormatError(file, 'unexpected header size');
  const base = v.getBigUint64(BASE_AT, true);
  if (base > BigInt(Number.MAX_SAFE_INTEGER)) throw new SegmentFormatError(file, 'base offset beyond 2^53');
  return { base: Number(base), version };
}

/** File position of global offset `offset` in the segment starting at `seg.base`. */
export function filePos(seg: { readonly base: number }, offset: number): number {
  return SEGMENT_HEADER + (offset - seg.base);
}

/** The global offset just past the data of a segment file of `fileBytes` bytes starting at `base`. */
export function dataEnd(base: number, fileBytes: number): number {
  return base + Math.max(0, fileBytes - SEGMENT_HEADER);
}

// Invariants of the layout, checked once at load.
assert.equal(VERSION_AT, MAGIC_AT + MAGIC.length);
assert.equal(HEADER_SIZE_AT, VERSION_AT + 4);
assert.equal(BASE_AT, HEADER_SIZE_AT + 4);
assert.equal(FLAGS_AT, BASE_AT + 8);
assert.equal(HEADER_CRC_AT, FLAGS_AT + 4);
assert.equal(SEGMENT_HEADER, HEADER_CRC_AT + 4);
assert.equal(FORMAT_VERSION, BOUND_FRAME_VERSION);
