/**
 * The durable watermark file (`durable`, docs/format.md): the end offset of what the
 * writer's last fdatasync covered, rewritten after each sync (in the same pool job as the
 * sync; the IO layer below only carries these 16 bytes) so readers in other processes
 * never look past what a crash cannot take back. Byte layout only, no I/O.
 *
 *   0                    8           12          16
 *   +--------------------+-----------+-----------+
 *   | value              | crc32c    | tag       |
 *   | u64 LE             | u32 LE    | "SDWM"    |
 *   | durable end offset | of 0..8   |           |
 *   +--------------------+-----------+-----------+
 */
import { strict as assert } from 'node:assert';
import { crc32c } from '../hash/index.js';

/** The watermark's file name in a journal directory. */
export const WATERMARK_FILE = 'durable';
const VALUE_AT = 0;
const CRC_AT = 8;
const TAG_AT = 12;
export const WATERMARK_BYTES = 16;
const TAG = new TextEncoder().encode('SDWM');

export function encodeWatermark(value: number): Uint8Array {
  const b = new Uint8Array(WATERMARK_BYTES);
  const v = new DataView(b.buffer);
  v.setBigUint64(VALUE_AT, BigInt(value), true);
  v.setUint32(CRC_AT, crc32c(b.subarray(VALUE_AT, CRC_AT)), true);
  b.set(TAG, TAG_AT);
  return b;
}

/** The value in a watermark record, or null if it is short or torn (bad checksum or tag). */
export function decodeWatermark(b: Uint8Array): number | null {
  if (b.length !== WATERMARK_BYTES) return null;
  const v = new DataView(b.buffer, b.byteOffset, WATERMARK_BYTES);
  if (v.getUint32(CRC_AT, true) !== crc32c(b.subarray(VALUE_AT, CRC_AT))) return null;
  for (let i = 0; i < TAG.length; i++) if (b[TAG_AT + i] !== TAG[i]) return null;
  return Number(v.getBigUint64(VALUE_AT, true));
}

// Invariants of the layout, checked once at load.
assert.equal(CRC_AT, VALUE_AT + 8);
assert.equal(TAG_AT, CRC_AT + 4);
assert.equal(WATERMARK_BYTES, TAG_AT + TAG.length);
