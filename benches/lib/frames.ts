/**
 * Record frames built outside the journal, for the raw-I/O baselines: the exact
 * bytes stemedb writes ([len u32][crc32c u32][blake3 32][payload], docs/format.md),
 * hashed with stemedb's own hashFrames, so the baseline writes the same bytes
 * without paying for the hashing inside its timed loop.
 */
import { hashFrames, verifyFrames } from '../../src/index.js';

export const FRAME_HEADER = 40;

export interface Frames {
  /** All frames back to back. */
  buf: Uint8Array;
  /** Byte offset of frame i in buf (count + 1 entries: the last is buf.length). */
  offsets: Float64Array;
  count: number;
}

export function buildFrames(payloads: readonly Uint8Array[]): Frames {
  const { hashes, crcs } = hashFrames(payloads);
  let total = 0;
  for (const p of payloads) total += FRAME_HEADER + p.length;
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  const offsets = new Float64Array(payloads.length + 1);
  let pos = 0;
  payloads.forEach((p, i) => {
    offsets[i] = pos;
    view.setUint32(pos, p.length, true);
    view.setUint32(pos + 4, crcs[i]!, true);
    buf.set(hashes.subarray(i * 32, i * 32 + 32), pos + 8);
    buf.set(p, pos + FRAME_HEADER);
    pos += FRAME_HEADER + p.length;
  });
  offsets[payloads.length] = pos;
  const check = verifyFrames(buf);
  if (check.reason !== 'ok' || check.count !== payloads.length) throw new Error(`buildFrames: built frames do not verify (${check.reason} at ${check.count})`);
  return { buf, offsets, count: payloads.length };
}
