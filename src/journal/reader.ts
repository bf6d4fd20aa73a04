/**
 * JournalReader: read-only access beside a writer (in this or another
 * process). No lock, never truncates, never looks past the writer's published
 * durable watermark, so nothing it returns can be taken back by a crash.
 */
import { watch, type FSWatcher } from 'node:fs';
import { defaultIO } from '../io/index.js';
import type { JournalIO } from '../io/types.js';
import { checkNonNegativeInteger, describe } from '../hash/validate.js';
import { ClosedError } from '../errors.js';
import { DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_LIMIT, SEGMENT_HEADER } from './format.js';
import { followRecords, Waiters } from './follow.js';
import { RecordReader, type JournalRecord } from './read.js';
import { SegmentManager } from './segments.js';
import { readWatermark, watermarkPath } from './watermark.js';

export interface ReaderOptions {
  /** @deprecated Checked but not used: reading accepts any frame that verifies and fits in its segment. */
  maxRecordBytes?: number;
  /** Poll interval when fs.watch gives no event (default 50 ms). */
  pollMs?: number;
  io?: JournalIO;
}

export class JournalReader {
  #closed = false;
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #waiters = new Waiters();
  #followers = 0;
  readonly #closeController = new AbortController();

  private constructor(
    readonly dir: string,
    readonly io: JournalIO,
    readonly segments: SegmentManager,
    readonly reader: RecordReader,
    readonly wmFd: number,
    readonly pollMs: number,
  ) {}

  static async open(dir: string, options: ReaderOptions = {}): Promise<JournalReader> {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`dir must be a non-empty string, got ${describe(dir)}`);
    const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 0 || maxRecordBytes > MAX_RECORD_LIMIT) throw new RangeError('options.maxRecordBytes out of range');
    const io = options.io ?? defaultIO();
    const wmFd = io.open(watermarkPath(dir), 'r');
    const segments = new SegmentManager(io, dir, false);
    try {
      segments.refresh();
    } catch (err) {
      io.close(wmFd);
      throw err;
    }
    return new JournalReader(dir, io, segments, new RecordReader(io, segments), wmFd, options.pollMs ?? 50);
  }

  /** The writer's published durable end (0 if not yet readable). */
  get durableOffset(): number {
    this.#checkOpen();
    return readWatermark(this.io, this.wmFd) ?? 0;
  }

  /** The lowest offset still in the journal (re-lists segments: the writer may have cleaned up). */
  get firstOffset(): number {
    this.#checkOpen();
    this.segments.refresh();
    return this.segments.first?.base ?? 0;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBases(): number[] {
    this.#checkOpen();
    this.segments.refresh();
    return this.segments.segments.map((s) => s.base);
  }

  /** The record at `offset`, verified; null at or past the durable end. A miss refreshes the segment list once. */
  async read(offset: number): Promise<JournalRecord | null> {
    return this.readSync(offset);
  }

  readSync(offset: number): JournalRecord | null {
    this.#checkOpen();
    checkNonNegativeInteger(offset, 'offset');
    const end = this.durableOffset;
    this.#refreshIfNeeded(end);
    try {
      return this.reader.read(offset, end);
    } catch (err) {
      // The writer may have rotated or cleaned up since the last look: retry once.
      this.segments.refresh();
      return this.reader.read(offset, end);
    }
  }

  async *iterate(options: { from?: number; to?: number } = {}): AsyncGenerator<JournalRecord> {
    this.#checkOpen();
    const end = this.durableOffset;
    this.segments.refresh();
    const from = options.from === undefined ? this.firstOffset : checkNonNegativeInteger(options.from, 'from');
    const to = options.to === undefined ? Number.MAX_SAFE_INTEGER : checkNonNegativeInteger(options.to, 'to');
    yield* this.reader.iterate(from, to, end);
  }

  /** Records as they become durable, waiting for more (fs.watch plus polling) until `signal` aborts or close(). */
  follow(options: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<JournalRecord> {
    this.#checkOpen();
    const from = options.from === undefined ? this.firstOffset : checkNonNegativeInteger(options.from, 'from');
    const signal = AbortSignal.any([this.#closeController.signal, ...(options.signal ? [options.signal] : [])]);
    const self = this;
    return (async function* () {
      self.#startWatching();
      try {
        yield* followRecords({
          visibleEnd: () => {
            const end = self.durableOffset;
            self.#refreshIfNeeded(end);
            return end;
          },
          iterateRange: (f, e) => self.reader.iterate(f, Number.MAX_SAFE_INTEGER, e),
          waitForMore: (_pos, s) => self.#waiters.wait(s),
        }, from, signal);
      } finally {
        self.#stopWatching();
      }
    })();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeController.abort();
    this.#followers = 0;
    this.#stopWatching(true);
    this.segments.closeAll();
    this.io.close(this.wmFd);
  }

  /** Re-lists segments when the durable end lies beyond what is known. */
  #refreshIfNeeded(end: number): void {
    const last = this.segments.last;
    // The active segment's known end follows its file size, which can also shrink: the
    // writer's preallocated zeros are cut off when it rotates. Reads stay below `end`.
    if (last) last.end = last.base + Math.max(0, this.io.size(last.fd) - SEGMENT_HEADER);
    if (!last || end > last.end) this.segments.refresh();
  }

  #startWatching(): void {
    if (this.#followers++ > 0) return;
    try {
      this.#watcher = watch(this.dir, () => this.#waiters.notify());
      this.#watcher.on('error', () => {});
      this.#watcher.unref();
    } catch {
      this.#watcher = null; // polling alone still works
    }
    this.#poll = setInterval(() => this.#waiters.notify(), this.pollMs);
  }

  #stopWatching(force = false): void {
    if (!force && --this.#followers > 0) return;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError();
  }
}
