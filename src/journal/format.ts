/**
 * On-disk constants: record frames and the segment header (docs/format.md).
 *
 * Segment header, 32 bytes:
 *   0  magic   "STEMEWAL" (8)
 *   8  version u32 LE = 3 (frames bound to their offsets); 2 is still read (unbound frames)
 *   12 header  u32 LE = 32 (header size)
 *   16 base    u64 LE: global offset of the first record
 *   24 flags   u32 LE = 0 (reserved)
 *   28 crc32c  u32 LE of bytes 0..28
 */
import { crc32c } from '../hash/index.js';
import { SegmentFormatError } from '../errors.js';

export const FRAME_HEADER = 40;
export const SEGMENT_HEADER = 32;
/** The version new segments get: v3 frames, each CRC bound to the record's global offset. */
export const FORMAT_VERSION = 3;
/** v2 segments (frames not bound to their offsets) are still read, and appended to when one is the tail. */
export const OLDEST_READABLE_VERSION = 2;
export const MAGIC = new TextEncoder().encode('STEMEWAL');
export const SEGMENT_SUFFIX = '.wal';
export const TMP_SUFFIX = '.tmp';
export const LOCK_FILE = 'LOCK';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** The u32 length field's own limit. */
export const MAX_RECORD_LIMIT = 0xffffffff - FRAME_HEADER;

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
  h.set(MAGIC, 0);
  v.setUint32(8, version, true);
  v.setUint32(12, SEGMENT_HEADER, true);
  v.setBigUint64(16, BigInt(base), true);
  v.setUint32(24, 0, true);
  v.setUint32(28, crc32c(h.subarray(0, 28)), true);
  return h;
}

/** Checks a segment header read from `file`; returns its base offset and format version. */
export function decodeSegmentHeader(h: Uint8Array, file: string): { base: number; version: number } {
  if (h.length < SEGMENT_HEADER) throw new SegmentFormatError(file, `header truncated (${h.length} of ${SEGMENT_HEADER} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (h[i] !== MAGIC[i]) throw new SegmentFormatError(file, 'bad magic (not a stemedb segment)');
  }
  const v = new DataView(h.buffer, h.byteOffset, SEGMENT_HEADER);
  if (v.getUint32(28, true) !== crc32c(h.subarray(0, 28))) throw new SegmentFormatError(file, 'header checksum mismatch');
  const version = v.getUint32(8, true);
  if (version < OLDEST_READABLE_VERSION || version > FORMAT_VERSION) {
    throw new SegmentFormatError(file, `format version ${version}, this build reads ${OLDEST_READABLE_VERSION} to ${FORMAT_VERSION}`);
  }
  if (v.getUint32(12, true) !== SEGMENT_HEADER) throw new SegmentFormatError(file, 'unexpected header size');
  const base = v.getBigUint64(16, true);
  if (base > BigInt(Number.MAX_SAFE_INTEGER)) throw new SegmentFormatError(file, 'base offset beyond 2^53');
  return { base: Number(base), version };
}

/** What a frame's CRC is bound to in a segment of `version`: its global offset (v3), or nothing (v2). */
export function frameBinding(version: number, offset: number): number | null {
  return version >= 3 ? offset : null;
}
