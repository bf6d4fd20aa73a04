/** The 16-byte watermark record, shared by every IO and by readers (see journal/watermark.ts). */
import { crc32c } from '../hash/index.js';

const TAG = new TextEncoder().encode('SDWM');

export function encodeWatermarkBytes(value: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(value), true);
  v.setUint32(8, crc32c(b.subarray(0, 8)), true);
  b.set(TAG, 12);
  return b;
}
