/** Reading the durable watermark file (its layout: format/watermark.ts). */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { WATERMARK_BYTES, WATERMARK_FILE, decodeWatermark } from '../format/watermark.js';

export function watermarkPath(dir: string): string {
  return join(dir, WATERMARK_FILE);
}

/** The published value, or null if the file is missing, short or torn mid-rewrite. */
export function readWatermark(io: JournalIO, fd: number): number | null {
  const b = new Uint8Array(WATERMARK_BYTES);
  if (io.pread(fd, b, 0) !== WATERMARK_BYTES) return null;
  return decodeWatermark(b);
}
