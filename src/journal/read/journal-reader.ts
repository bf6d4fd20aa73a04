/**
 * JournalReader: read-only access beside a writer (in this or another
 * process). No lock, never truncates, never looks past the writer's published
 * durable watermark, so nothing it returns can be taken back by a crash.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { defaultIO } from '../../io/index.js';
import type { JournalIO } from '../../io/types.js';
import { argRangeError, argTypeError, checkNonNegativeInteger, checkOptions, checkSignal, describe, keysOf } from '../../validate.js';
import { asyncDispose } from '../../async-dispose.js';
import { ClosedError, StemeError } from '../../errors.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../options.js';
import { MAX_RECORD_LIMIT } from '../../format/frame.js';
import { dataEnd } from '../../format/segment.js';
import {
  abortable,
  checkMaxBytes,
  followBatches,
  followRecords,
  Waiters,
  FOLLOW_BATCHES_OPTION_KEYS,
  FOLLOW_OPTION_KEYS,
  ITERATE_BATCHES_OPTION_KEYS,
  ITERATE_OPTION_KEYS,
  type FollowBatchesOptions,
  type FollowOptions,
  type IterateBatchesOptions,
  type IterateOptions,
} from './follow.js';
import { BLOCK_BYTES, RecordReader, type JournalRecord } from './record-reader.js';
import { Records } from './records.js';
import { SegmentManager } from '../segments.js';
import { DEFAULT_MAX_OPEN_SEGMENTS } from '../segment-files.js';
import { readWatermark, watermarkPath } from '../watermark.js';
import { hashBackend } from '../../hash/index.js';
import { Cursors } from '../cursors.js';

export interface ReaderOptions {
  /** @deprecated Checked but not used: reading accepts any frame that verifies and fits in its segment. */
  maxRecordBytes?: number;
  /** Poll interval when fs.watch gives no event (default 50 ms). */
  pollMs?: number;
  /** At most this many segment files are kept open (default 64). */
  maxOpenSegments?: number;
  io?: JournalIO;
}

const READER_OPTION_KEYS = keysOf<ReaderOptions>({ maxRecordBytes: true, pollMs: true, io: true, maxOpenSegments: true });

export class JournalReader {
  #closed = false;
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #waiters = new Waiters();
  #followers = 0;
  readonly #closeController = new AbortController();

  // `@internal`: left out of the emitted .d.ts (stripInternal), so the public type is the documented API.
  private constructor(
    readonly dir: string,
    /** @internal */ readonly io: JournalIO,
    /** @internal */ readonly segments: SegmentManager,
    /** @internal */ readonly reader: RecordReader,
    /** @internal */ readonly wmFd: number,
    readonly pollMs: number,
  ) {
    this.cursors = new Cursors(io, dir, {
      durableOffset: () => this.durableOffset,
      firstOffset: () => this.firstOffset,
      checkRecordStart: (offset) => void this.readSync(offset),
      now: Date.now,
    });
  }

  /** The journal's named cursors: a reader commits its position here, beside the writer (docs/operations.md). */
  readonly cursors: Cursors;

  /**
   * Opens a reader. A directory where no writer has run yet (no watermark file) is
   * refused at once with code NO_JOURNAL, not waited for: open it once the writer has.
   */
  static async open(dir: string, options: ReaderOptions = {}): Promise<JournalReader> {
    if (typeof dir !== 'string' || dir.length === 0) throw argTypeError(`dir must be a non-empty string, got ${describe(dir)}`);
    await hashBackend.ready(); // the wasm fallback's fast paths (first use: starts them, warns once)
    const o = checkOptions(options, READER_OPTION_KEYS);
    const maxRecordBytes = o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    if (typeof maxRecordBytes !== 'number') throw argTypeError(`options.maxRecordBytes must be a number, got ${describe(maxRecordBytes)}`);
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 0 || maxRecordBytes > MAX_RECORD_LIMIT) {
      throw argRangeError(`options.maxRecordBytes must be an integer in [0, ${MAX_RECORD_LIMIT}], got ${maxRecordBytes}`);
    }
    const pollMs = o.pollMs ?? 50;
    if (typeof pollMs !== 'number') throw argTypeError(`options.pollMs must be a number, got ${describe(pollMs)}`);
    if (!Number.isInteger(pollMs) || pollMs < 1 || pollMs > 2 ** 31 - 1) throw argRangeError(`options.pollMs must be an integer in [1, 2^31-1], got ${pollMs}`);
    const maxOpen = o.maxOpenSegments ?? DEFAULT_MAX_OPEN_SEGMENTS;
    if (typeof maxOpen !== 'number') throw argTypeError(`options.maxOpenSegments must be a number, got ${describe(maxOpen)}`);
    if (!Number.isInteger(maxOpen) || maxOpen < 2 || maxOpen > 1 << 20)
      throw argRangeError(`options.maxOpenSegments must be an integer in [2, 2^20], got ${maxOpen}`);
    const io = (o.io as JournalIO | undefined) ?? defaultIO();
    let wmFd: number;
    try {
      wmFd = io.open(watermarkPath(dir), 'r');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Windows answers ENOENT, not ENOTDIR, for a path through a regular file.
      if (code === 'ENOENT' && !underAFile(dir)) throw new StemeError('NO_JOURNAL', `${dir} holds no journal yet (no writer has opened it)`, { cause: err });
      if (code === 'ENOTDIR' || code === 'ENOENT') throw new StemeError('NOT_A_DIRECTORY', `journal path ${dir} is not a directory`, { cause: err });
      throw err;
    }
    const segments = new SegmentManager(io, dir, false, maxOpen);
    try {
      segments.refresh();
    } catch (err) {
      // Whatever refresh opened before the segment that failed goes too.
      segments.closeAll();
      io.close(wmFd);
      throw err;
    }
    return new JournalReader(dir, io, segments, new RecordReader(io, segments), wmFd, pollMs);
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

  /** Durable records from `from` to `to`; `signal` aborting rejects with an AbortError. */
  iterate(options: IterateOptions = {}): AsyncGenerator<JournalRecord> {
    // Options checked and the range taken at the first step, as when this was a generator.
    return new Records(() => {
      const o = checkOptions(options, ITERATE_OPTION_KEYS);
      const signal = checkSignal(o.signal);
      const { from, to, end } = this.#range(o);
      return { batches: this.reader.iterateBatches(from, to, end, BLOCK_BYTES), signal };
    });
  }

  /** The records of iterate(), one array per block read (at most `maxBytes`; a larger record alone). */
  async *iterateBatches(options: IterateBatchesOptions = {}): AsyncGenerator<JournalRecord[]> {
    const o = checkOptions(options, ITERATE_BATCHES_OPTION_KEYS);
    const signal = checkSignal(o.signal);
    const maxBytes = checkMaxBytes(o.maxBytes);
    const { from, to, end } = this.#range(o);
    const batches = this.reader.iterateBatches(from, to, end, maxBytes);
    yield* signal ? abortable(batches, signal) : batches;
  }

  #range(o: { from?: unknown; to?: unknown }): { from: number; to: number; end: number } {
    this.#checkOpen();
    const end = this.durableOffset;
    this.segments.refresh();
    const from = o.from === undefined ? this.firstOffset : checkNonNegativeInteger(o.from, 'from');
    const to = o.to === undefined ? Number.MAX_SAFE_INTEGER : checkNonNegativeInteger(o.to, 'to');
    return { from, to, end };
  }

  /**
   * Records as they become durable, waiting for more (fs.watch plus polling); ends at close().
   * `signal` aborting (also while waiting) rejects with an AbortError.
   */
  follow(options: FollowOptions = {}): AsyncGenerator<JournalRecord> {
    const o = checkOptions(options, FOLLOW_OPTION_KEYS);
    const signal = checkSignal(o.signal);
    return this.#watching(followRecords(this.#followSource(BLOCK_BYTES), this.#followFrom(o), signal, this.#closeController.signal));
  }

  /** follow(), one array of records per block read (as iterateBatches()). */
  followBatches(options: FollowBatchesOptions = {}): AsyncGenerator<JournalRecord[]> {
    const o = checkOptions(options, FOLLOW_BATCHES_OPTION_KEYS);
    const signal = checkSignal(o.signal);
    const maxBytes = checkMaxBytes(o.maxBytes);
    return this.#watching(followBatches(this.#followSource(maxBytes), this.#followFrom(o), signal, this.#closeController.signal));
  }

  #followFrom(o: { from?: unknown }): number {
    this.#checkOpen();
    return o.from === undefined ? this.firstOffset : checkNonNegativeInteger(o.from, 'from');
  }

  #followSource(maxBytes: number): Parameters<typeof followBatches>[0] {
    return {
      visibleEnd: () => {
        const end = this.durableOffset;
        this.#refreshIfNeeded(end);
        return end;
      },
      iterateRange: (f, e) => this.reader.iterateBatches(f, Number.MAX_SAFE_INTEGER, e, maxBytes),
      waitForMore: (_pos, wake) => this.#waiters.wait(wake),
    };
  }

  /** `items`, with fs.watch and the poll timer running while it is iterated. */
  #watching<T>(items: AsyncGenerator<T>): AsyncGenerator<T> {
    const self = this;
    return (async function* () {
      self.#startWatching();
      try {
        yield* items;
      } finally {
        self.#stopWatching();
      }
    })();
  }

  /** Stops followers (they end), releases files. Idempotent; async like Journal.close(). */
  async close(): Promise<void> {
    this.#closeSync();
  }

  /** `await using reader = await Journal.openReader(dir)`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  #closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeController.abort();
    this.#followers = 0;
    this.#stopWatching(true);
    this.reader.stopReadAhead();
    this.segments.closeAll();
    this.io.close(this.wmFd);
  }

  /** Re-lists segments when the durable end lies beyond what is known. */
  #refreshIfNeeded(end: number): void {
    const last = this.segments.last;
    // The active segment's known end follows its file size, which can also shrink: the
    // writer's preallocated zeros are cut off when it rotates. Reads stay below `end`.
    if (last) last.end = dataEnd(last.base, this.io.size(last.fd));
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

/** True when `path` or one of its parents is a regular file (so it cannot be a directory). */
function underAFile(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st) return !st.isDirectory();
    if (dirname(p) === p) return false;
  }
}
