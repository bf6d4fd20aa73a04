/**
 * An in-memory IngestSource that behaves like the journal as far as the
 * ingestor can tell: byte offsets (`next = offset + 40 + len`), BLAKE3 of the
 * payload computed once at append (hash-wasm, like the journal's wasm
 * backend), segments of at most `segmentBytes` whose base is the previous
 * segment's end, cursor-based cleanup that never removes the active segment,
 * and follow() that waits for appends until aborted.
 */
import { createBLAKE3 } from 'hash-wasm';
import type { IngestSource, JournalRecord } from '../../src/ingest/source.js';

export const FRAME_HEADER_BYTES = 40;

type Hasher = Awaited<ReturnType<typeof createBLAKE3>>;

export interface FakeSourceOptions {
  /** Rotate when a segment would pass this many bytes. Default: one segment forever. */
  segmentBytes?: number;
  /** Offset of the first record. Default 0. */
  baseOffset?: number;
  /** Let the event loop turn (setImmediate) every this many records yielded, like real I/O. Default 0: never. */
  ioEvery?: number;
  /** Called by cleanup() before deleting, with the requested offset. Throw to fail the cleanup. */
  beforeCleanup?: (offset: number) => void;
  /** Expose segmentBases() (for cleanup.retainSegments). Default true. */
  withSegmentBases?: boolean;
  /** Expose cleanup() (a writer). Default true; false behaves like a reader. */
  withCleanup?: boolean;
}

interface Segment {
  base: number;
  end: number;
  name: string;
}

export class FakeSource implements IngestSource {
  /** Present records, ascending offsets. */
  records: JournalRecord[] = [];
  segments: Segment[];
  /** Every offset cleanup() was called with. */
  readonly cleanupCalls: number[] = [];
  /** Names of removed segments, in order. */
  readonly removed: string[] = [];
  /** Set to make iterate/follow throw after yielding this many more records. */
  failAfter: number | null = null;
  cleanup?: (cursorOffset: number) => Promise<string[]>;
  segmentBases?: () => readonly number[];

  private endOffset: number;
  private wakeups = new Set<() => void>();

  private constructor(
    private readonly hasher: Hasher,
    private readonly opts: FakeSourceOptions,
  ) {
    const base = opts.baseOffset ?? 0;
    this.endOffset = base;
    this.segments = [{ base, end: base, name: segmentName(base) }];
    if (opts.withCleanup !== false) this.cleanup = (cursor) => this.doCleanup(cursor);
    if (opts.withSegmentBases !== false) this.segmentBases = () => this.segments.map((s) => s.base);
  }

  static async create(opts: FakeSourceOptions = {}): Promise<FakeSource> {
    return new FakeSource(await createBLAKE3(), opts);
  }

  get firstOffset(): number {
    return this.segments[0]!.base;
  }

  /** The durable end: the next offset to be written. */
  get end(): number {
    return this.endOffset;
  }

  /** BLAKE3-256 of `data` (synchronous once created). */
  hash(data: Uint8Array): Uint8Array {
    return this.hasher.init().update(data).digest('binary');
  }

  /** Appends (durably, as far as readers are concerned) and wakes followers. */
  append(payload: Uint8Array): JournalRecord {
    const size = FRAME_HEADER_BYTES + payload.length;
    let seg = this.segments[this.segments.length - 1]!;
    const limit = this.opts.segmentBytes;
    if (limit !== undefined && seg.end > seg.base && seg.end - seg.base + size > limit) {
      seg = { base: this.endOffset, end: this.endOffset, name: segmentName(this.endOffset) };
      this.segments.push(seg);
    }
    const rec: JournalRecord = { offset: this.endOffset, next: this.endOffset + size, payload, hash: this.hash(payload) };
    this.records.push(rec);
    this.endOffset = rec.next;
    seg.end = rec.next;
    this.wake();
    return rec;
  }

  private wake(): void {
    const wake = [...this.wakeups];
    this.wakeups.clear();
    for (const w of wake) w();
  }

  appendAll(payloads: Iterable<Uint8Array>): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const p of payloads) out.push(this.append(p));
    return out;
  }

  /** Appends a record with arbitrary hash/offset fields (to test source-contract checks). */
  appendRaw(rec: JournalRecord): void {
    this.records.push(rec);
    this.endOffset = rec.next;
    this.segments[this.segments.length - 1]!.end = rec.next;
    this.wake();
  }

  iterate(opts: { from?: number; to?: number } = {}): AsyncIterable<JournalRecord> {
    const to = opts.to ?? this.endOffset;
    return this.walk(opts.from ?? this.firstOffset, to, undefined);
  }

  follow(opts: { from?: number; signal?: AbortSignal } = {}): AsyncIterable<JournalRecord> {
    return this.walk(opts.from ?? this.firstOffset, Infinity, opts.signal ?? new AbortController().signal);
  }

  private async *walk(from: number, to: number, signal: AbortSignal | undefined): AsyncGenerator<JournalRecord> {
    if (from < this.firstOffset) throw new RangeError(`offset ${from} was cleaned up (journal starts at ${this.firstOffset})`);
    let pos = from;
    let yielded = 0;
    for (;;) {
      if (signal?.aborted) return;
      const i = this.indexAt(pos);
      if (i < this.records.length && pos < to) {
        const rec = this.records[i]!;
        if (rec.offset !== pos && !(rec.offset > pos && i === 0)) {
          throw new RangeError(`offset ${pos} is not a record boundary`);
        }
        if (rec.offset >= to) return;
        if (this.failAfter !== null && this.failAfter-- <= 0) {
          this.failAfter = null;
          throw new Error('simulated read failure');
        }
        yield rec;
        pos = rec.next;
        yielded++;
        if (this.opts.ioEvery && yielded % this.opts.ioEvery === 0) await new Promise((r) => setImmediate(r));
        continue;
      }
      if (!signal || pos >= to) return;
      // Caught up: wait for an append or the abort.
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wakeups.delete(done);
          resolve();
        };
        this.wakeups.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Index of the first record with offset >= pos. */
  private indexAt(pos: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.offset < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async doCleanup(cursor: number): Promise<string[]> {
    this.cleanupCalls.push(cursor);
    this.opts.beforeCleanup?.(cursor);
    await new Promise((r) => setImmediate(r)); // like the unlink + dir fsync, off the JS thread
    const removed: string[] = [];
    // Wholly below the cursor, and never the active (last) segment.
    while (this.segments.length > 1 && this.segments[0]!.end <= cursor) {
      const seg = this.segments.shift()!;
      removed.push(seg.name);
    }
    if (removed.length > 0) {
      const first = this.segments[0]!.base;
      this.records = this.records.slice(this.indexAt(first));
    }
    this.removed.push(...removed);
    return removed;
  }
}

function segmentName(base: number): string {
  return `${String(base).padStart(20, '0')}.wal`;
}
