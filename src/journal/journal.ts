/**
 * Journal: the writer. One per directory (OS lock). Appends go through group
 * commit; reads verify every record; open runs recovery on the tail.
 */
import { join } from 'node:path';
import { writerIO } from '../io/index.js';
import type { JournalIO } from '../io/types.js';
import { checkBytes, checkNonNegativeInteger, describe } from '../hash/validate.js';
import { ClosedError, LockedError, StemeError } from '../errors.js';
import { LOCK_FILE } from './format.js';
import { GroupCommit, type AppendResult, type Durability } from './group-commit.js';
import { followRecords, Waiters } from './follow.js';
import { resolveOptions, type JournalOptions, type ResolvedOptions } from './options.js';
import { RecordReader, type JournalRecord } from './read.js';
import { makeTailDurable, recoverSegments, type RecoveryReport } from './recovery/index.js';
import { SegmentManager } from './segments.js';
import { encodeWatermark, readWatermark, watermarkPath } from './watermark.js';
import type { SyncStats } from './stats.js';
import { JournalReader, type ReaderOptions } from './reader.js';

export interface JournalStats extends SyncStats {
  durability: Durability;
  segments: number;
  firstOffset: number;
  nextOffset: number;
  durableOffset: number;
  pendingAppends: number;
  failed: string | null;
}

export class Journal {
  #closed = false;
  #closing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  private constructor(
    readonly dir: string,
    readonly io: JournalIO,
    readonly options: ResolvedOptions,
    readonly segments: SegmentManager,
    readonly reader: RecordReader,
    readonly commit: GroupCommit,
    readonly recovery: RecoveryReport,
    readonly lockHandle: number,
    readonly wmFd: number,
    readonly durableWaiters: Waiters,
  ) {}

  /** Creates or opens the journal in `dir`, takes the writer lock and runs recovery. */
  static async open(dir: string, options?: JournalOptions): Promise<Journal> {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`dir must be a non-empty string, got ${describe(dir)}`);
    const opts = resolveOptions(options);
    const io = options?.io ?? writerIO();
    io.mkdirp(dir);
    let lock: number;
    try {
      lock = io.lock(join(dir, LOCK_FILE));
    } catch (err) {
      if ((err as { code?: string }).code === 'ELOCKED') throw new LockedError(dir, err);
      throw err;
    }
    const segments = new SegmentManager(io, dir, true);
    let wmFd = -1;
    let wmCreated = false;
    try {
      segments.removeTemporaries();
      segments.load();
      const wmExisted = io.exists(watermarkPath(dir));
      wmFd = io.open(watermarkPath(dir), 'create');
      wmCreated = !wmExisted;
      const watermark = wmExisted ? readWatermark(io, wmFd) : null;
      if (segments.segments.length === 0) {
        await segments.create(0);
      }
      const publish = (value: number) => io.writev(wmFd, [encodeWatermark(value)], 0, true).then(() => undefined);
      const report = await recoverSegments(io, segments, {
        policy: opts.recovery, dryRun: false, verifyAll: opts.verifyAll, watermark, lowerWatermark: publish,
      });
      const end = segments.last!.end;
      // Only data that is on disk may be called durable: re-sync what a killed
      // or failed writer left above the watermark, then publish the end.
      await makeTailDurable(io, segments, watermark);
      await publish(end);
      const reader = new RecordReader(io, segments);
      const waiters = new Waiters();
      const commit = new GroupCommit(io, segments, wmFd, opts, end, () => waiters.notify());
      const journal = new Journal(dir, io, opts, segments, reader, commit, report, lock, wmFd, waiters);
      if (opts.durability === 'none' && opts.syncIntervalMs > 0) {
        journal.#timer = setInterval(() => {
          if (commit.writtenOffset > commit.durableOffset && !commit.failed) commit.sync().catch(() => {});
        }, opts.syncIntervalMs);
        journal.#timer.unref();
      }
      return journal;
    } catch (err) {
      segments.closeAll();
      if (wmFd >= 0) io.close(wmFd);
      if (wmCreated) {
        try {
          io.unlink(watermarkPath(dir)); // a refused open leaves the directory as it found it
        } catch {
          // best effort: an empty watermark file reads as "no watermark"
        }
      }
      io.unlock(lock);
      io.release?.();
      throw err;
    }
  }

  /** A read-only view that takes no lock and never modifies anything; safe beside a writer in another process. */
  static openReader(dir: string, options?: ReaderOptions): Promise<JournalReader> {
    return JournalReader.open(dir, options);
  }

  /** Appends one record; resolves once it is as durable as the durability mode promises. */
  append(payload: Uint8Array): Promise<AppendResult> {
    // Not an async function: one promise per append, not three (measurable at c=64).
    try {
      this.#checkPayload(payload, 'payload');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commit.submitOne(payload);
  }

  /** Appends records in order, as one unit of group commit. */
  async appendBatch(payloads: readonly Uint8Array[]): Promise<AppendResult[]> {
    if (!Array.isArray(payloads)) throw new TypeError(`payloads must be an array of Uint8Array, got ${describe(payloads)}`);
    this.#checkOpen();
    const max = this.options.maxRecordBytes;
    for (let i = 0; i < payloads.length; i++) {
      const p: unknown = payloads[i];
      // The full check (and its message) only for a payload that is not plainly fine.
      if (!(p instanceof Uint8Array) || p.byteLength === 0 || p.byteLength > max) this.#checkPayload(p, `payloads[${i}]`);
    }
    if (payloads.length === 0) return [];
    return this.commit.submit(payloads.slice());
  }

  /** The record at `offset`, verified; null at or past the end. */
  async read(offset: number): Promise<JournalRecord | null> {
    return this.readSync(offset);
  }

  readSync(offset: number): JournalRecord | null {
    this.#checkOpen();
    checkNonNegativeInteger(offset, 'offset');
    return this.reader.read(offset, this.commit.writtenOffset);
  }

  /** Records in order from `from` (default: the first) to `to` (exclusive; default: the end now). */
  iterate(options: { from?: number; to?: number } = {}): AsyncGenerator<JournalRecord> {
    // The reader's generator itself, not one wrapped in another (a second async hop per
    // record); bad arguments still surface from the first next(), as from a generator.
    try {
      this.#checkOpen();
      const from = options.from === undefined ? this.firstOffset : checkNonNegativeInteger(options.from, 'from');
      const to = options.to === undefined ? Number.MAX_SAFE_INTEGER : checkNonNegativeInteger(options.to, 'to');
      return this.reader.iterate(from, to, this.commit.writtenOffset);
    } catch (err) {
      return failing(err);
    }
  }

  /** Records as they become durable, waiting for more, until `signal` aborts or the journal closes. */
  follow(options: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<JournalRecord> {
    this.#checkOpen();
    const from = options.from === undefined ? this.firstOffset : checkNonNegativeInteger(options.from, 'from');
    const closeSignal = AbortSignal.any([this.#closeController.signal, ...(options.signal ? [options.signal] : [])]);
    return followRecords({
      visibleEnd: () => this.commit.durableOffset,
      iterateRange: (f, e) => this.reader.iterate(f, Number.MAX_SAFE_INTEGER, e),
      waitForMore: (_pos, signal) => this.durableWaiters.wait(signal),
    }, from, closeSignal);
  }
  readonly #closeController = new AbortController();

  /** Deletes segments lying wholly below `cursor` (a consumer's position); returns the removed files. */
  async cleanup(cursor: number): Promise<string[]> {
    this.#checkOpen();
    checkNonNegativeInteger(cursor, 'cursor');
    if (this.commit.failed) throw this.commit.failed;
    const run = this.segments.cleanup(Math.min(cursor, this.commit.durableOffset)).catch((err: unknown) => {
      // A failed unlink or directory fsync is an I/O error like any other: fail-stop (rule 8).
      throw this.commit.failStop(err);
    });
    this.#cleanups.add(run);
    try {
      return await run;
    } finally {
      this.#cleanups.delete(run);
    }
  }
  readonly #cleanups = new Set<Promise<string[]>>();

  /** Makes everything appended so far durable (needed only with durability 'none'). */
  async sync(): Promise<void> {
    this.#checkOpen();
    await this.commit.sync();
  }

  get firstOffset(): number {
    return this.segments.first?.base ?? 0;
  }
  /** Base offsets of the segments, oldest first (the ingestor's retainSegments uses them). */
  segmentBases(): number[] {
    return this.segments.segments.map((s) => s.base);
  }
  /** The offset the next append will get. */
  get nextOffset(): number {
    return this.commit.nextOffset;
  }
  /** Everything below this offset survives a crash. Only moves forward. */
  get durableOffset(): number {
    return this.commit.durableOffset;
  }
  get closed(): boolean {
    return this.#closed;
  }

  stats(): JournalStats {
    return {
      durability: this.options.durability,
      segments: this.segments.segments.length,
      firstOffset: this.firstOffset,
      nextOffset: this.nextOffset,
      durableOffset: this.durableOffset,
      pendingAppends: this.commit.pending,
      failed: this.commit.failed ? this.commit.failed.code : null,
      ...this.commit.counters.snapshot(),
    };
  }

  /** Waits for pending appends, syncs ('none' mode), releases files and the lock. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.commit.closed = true;
    if (this.#timer) clearInterval(this.#timer);
    let error: unknown;
    try {
      await Promise.allSettled([...this.#cleanups]);
      await this.commit.drain();
      if (!this.commit.failed && this.commit.writtenOffset > this.commit.durableOffset) await this.commit.sync();
      if (!this.commit.failed) await this.commit.trimActive(); // a closed journal keeps no preallocated zeros
    } catch (err) {
      error = err;
    } finally {
      this.#closed = true;
      this.#closeController.abort();
      this.segments.closeAll();
      this.io.close(this.wmFd);
      this.io.unlock(this.lockHandle);
      this.io.release?.();
    }
    if (error) throw error;
  }

  #checkOpen(): void {
    if (this.#closed || this.commit.closed) throw new ClosedError();
  }

  #checkPayload(payload: unknown, name: string): asserts payload is Uint8Array {
    this.#checkOpen();
    checkBytes(payload, name);
    if (payload.byteLength > this.options.maxRecordBytes) {
      throw Object.assign(new RangeError(`${name} is ${payload.byteLength} bytes, above maxRecordBytes (${this.options.maxRecordBytes})`), { code: 'RECORD_TOO_LARGE' });
    }
  }
}

/** An iterator whose first next() rejects with `err`. */
async function* failing(err: unknown): AsyncGenerator<JournalRecord> {
  throw err;
}

export { StemeError };
