/**
 * The one buffer a run of journal records crosses threads in (see thread-source.ts), and the
 * records made from it on the other side. The reading thread packs each record's offsets, hash,
 * payload and the payload's assertion scan (assertion-row.ts: field positions, numbers, checked);
 * the thread that owns the SQLite connection then only makes the bind values from the scan.
 *
 * Layout of a buffer of n records: n × RECORD_SLOTS doubles, then the bytes (per record: the
 * 32-byte hash, then the payload).
 */
import { SCAN_SLOTS, assertionRow, rowFromScan, scanAssertion } from '../assertion-row.js';
import { HASH_BYTES } from '../records.js';
import type { JournalRecord } from '../source.js';

const R_OFFSET = 0;
const R_NEXT = 1;
/** Where the record's hash starts in the bytes; its payload follows. */
const R_AT = 2;
const R_LENGTH = 3;
/** 1 when the payload is an assertion in the common shape (the scan follows), else 0. */
const R_SCANNED = 4;
const R_SCAN = 5;
const RECORD_SLOTS = R_SCAN + SCAN_SLOTS;

/** Gathers records on the reading thread until full, then packs them into one transferable buffer. */
export class RecordPacker {
  #records: JournalRecord[] = [];
  #bytes = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.#records.length;
  }

  /** Adds `rec`; returns false, adding nothing, when the pack is full (take() it, then add again). */
  add(rec: JournalRecord): boolean {
    const size = HASH_BYTES + rec.payload.length;
    const n = this.#records.length;
    if (n > 0 && (n >= this.maxRecords || this.#bytes + size > this.maxBytes)) return false;
    this.#records.push(rec);
    this.#bytes += size;
    return true;
  }

  /** The gathered records as one buffer (see the layout above); the packer is empty after. */
  take(): { buffer: ArrayBuffer; count: number; end: number } {
    const records = this.#records;
    const n = records.length;
    const head = n * RECORD_SLOTS * 8;
    const buffer = new ArrayBuffer(head + this.#bytes);
    const slots = new Float64Array(buffer, 0, n * RECORD_SLOTS);
    const bytes = new Uint8Array(buffer, head);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const rec = records[i]!;
      const k = i * RECORD_SLOTS;
      const len = rec.payload.length;
      slots[k + R_OFFSET] = rec.offset;
      slots[k + R_NEXT] = rec.next;
      slots[k + R_AT] = at;
      slots[k + R_LENGTH] = len;
      bytes.set(rec.hash, at);
      bytes.set(rec.payload, at + HASH_BYTES);
      slots[k + R_SCANNED] = scanAssertion(rec.payload, slots, k + R_SCAN) ? 1 : 0;
      at += HASH_BYTES + len;
    }
    this.#records = [];
    this.#bytes = 0;
    return { buffer, count: n, end: n > 0 ? records[n - 1]!.next : 0 };
  }
}

/** A packed buffer on the receiving thread. */
class RecordBlock {
  readonly slots: Float64Array;
  readonly bytes: Uint8Array;

  constructor(buffer: ArrayBuffer, count: number) {
    const head = count * RECORD_SLOTS * 8;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < head)
      throw new Error(`read thread: a buffer of ${buffer?.byteLength} bytes cannot hold ${count} records`);
    this.slots = new Float64Array(buffer, 0, count * RECORD_SLOTS);
    this.bytes = new Uint8Array(buffer, head);
  }

  /** The assertions row of record `index` (as assertionRow), from its scan; false when it has none. */
  row(index: number, out: unknown[], outAt: number): boolean {
    const k = index * RECORD_SLOTS;
    if (this.slots[k + R_SCANNED] !== 1) return false;
    rowFromScan(this.bytes, (this.slots[k + R_AT]! | 0) + HASH_BYTES, this.slots, k + R_SCAN, out, outAt);
    return true;
  }
}

/** A journal record that came through a RecordBlock: views into it, and its scan. */
export class ScannedRecord implements JournalRecord {
  constructor(
    readonly offset: number,
    readonly next: number,
    readonly hash: Uint8Array,
    readonly payload: Uint8Array,
    readonly block: RecordBlock,
    readonly index: number,
  ) {}
}

/** The records packed in `buffer` by RecordPacker.take(). */
export function unpackRecords(buffer: ArrayBuffer, count: number): ScannedRecord[] {
  const block = new RecordBlock(buffer, count);
  const { slots, bytes } = block;
  const out = new Array<ScannedRecord>(count);
  for (let i = 0; i < count; i++) {
    const k = i * RECORD_SLOTS;
    const at = slots[k + R_AT]!;
    const payloadAt = at + HASH_BYTES;
    out[i] = new ScannedRecord(
      slots[k + R_OFFSET]!,
      slots[k + R_NEXT]!,
      bytes.subarray(at, payloadAt),
      bytes.subarray(payloadAt, payloadAt + slots[k + R_LENGTH]!),
      block,
      i,
    );
  }
  return out;
}

/**
 * The assertions row of `rec` into out[at + 1 .. at + 9] (see assertionRow): from its scan when it
 * came packed, else by scanning its payload here. False: not an assertion in the common shape.
 */
export function fastAssertionRow(rec: JournalRecord, out: unknown[], at: number): boolean {
  return rec instanceof ScannedRecord ? rec.block.row(rec.index, out, at) : assertionRow(rec.payload, out, at);
}
