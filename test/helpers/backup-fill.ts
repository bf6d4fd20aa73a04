import type { Journal } from '../../src/index.js';
import { payloadFor } from './tmp.js';

/** What fillVaried() acknowledged: record i (payloadFor(i, len)) at offset. */
export interface Ack {
  offset: number;
  i: number;
  len: number;
}

/** Appends records from..from+count (10 per appendBatch, 100 to ~1000 bytes each); their acks. */
export async function fillVaried(j: Journal, from: number, count: number): Promise<Ack[]> {
  const acks: Ack[] = [];
  for (let i = from; i < from + count; i += 10) {
    const batch = Array.from({ length: 10 }, (_, k) => payloadFor(i + k, 100 + (((i + k) * 37) % 900)));
    const rs = await j.appendBatch(batch);
    rs.forEach((r, k) => acks.push({ offset: r.offset, i: i + k, len: batch[k]!.length }));
  }
  return acks;
}
