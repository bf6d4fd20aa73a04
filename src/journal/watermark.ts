/**
 * The durable watermark file: 16 bytes the writer rewrites after each sync
 * (natively, in the same pool job) so readers in other processes never look
 * past what a crash cannot take back. [u64 LE value][crc32c of 0..8][ "SDWM" ]
 */
import { join } from 'node:path';
import { crc32c } from '../hash/index.js';
import { WATERMARK_BYTES, WATERMARK_FILE, type JournalIO } from '../io/types.js';

const TAG = new TextEncoder().encode('SDWM');

export function watermarkPath(dir: string): string {
  return join(dir, WATERMARK_FILE);
}

export { encodeWatermarkBytes as encodeWatermark } from '../io/watermark-bytes.js';

/** The published value, or null if the file is missing, short or torn mid-rewrite. */
export function readWatermark(io: JournalIO, fd: number): number | null {
  const b = new Uint8Array(WATERMARK_BYTES);
  if (io.pread(fd, b, 0) !== WATERMARK_BYTES) return null;
  const v = new DataView(b.buffer);
  if (v.getUint32(8, true) !== crc32c(b.subarray(0, 8))) return null;
  for (let i = 0; i < 4; i++) if (b[12 + i] !== TAG[i]) return null;
  return Number(v.getBigUint64(0, true));
}
