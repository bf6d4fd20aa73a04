/**
 * Journal: the writer. One per directory (OS lock). Appends go through group
 * commit; reads verify every record; open runs recovery on the tail.
 */
import { writerIO } from '../io/index.js';
import type { JournalIO } from '../io/types.js';
import { argRangeError, argTypeError, checkBytes, checkNonNegativeInteger, checkOptions, checkSignal, describe } from '../validate.js';
import { asyncDispose } from '../async-dispose.js';
import { ClosedError, StemeError } from '../errors.js';
import { unlockJournal } from './lock.js';
import { GroupCommit } from './write/group-commit.js';
import type { AppendResult, Commit, Durability } from './write/commit.js';
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
} from './read/follow.js';
import { resolveOptions, type JournalOptions, type ResolvedOptions } from './options.js';
import { BLOCK_BYTES, RecordReader, type JournalRecord } from './read/record-reader.js';
import type { RecoveryReport } from './recovery/types.js';
import { openWriter } from './recovery/open.js';
import type { CleanupResult, SegmentManager } from './segments.js';
import type { SyncStats } from './stats.js';
import { JournalReader, type ReaderOptions } from './read/journal-reader.js';
import { hashBackend } from '../hash/index.js';
import { Cursors } from './cursors.js';
import { Maintenance, type CursorLag, type RetentionResult } from './maintenance.js';
import type { SealedSegmentInfo } from './ledger.js';
import { checkDest, planBackup, resolveBackupOptions, writeBackup, type BackupOptions, type BackupResult } from './backup.js';

export type { FollowOptions, IterateOptions, FollowBatchesOptions, IterateBatchesOptions };

export interface JournalStats extends SyncStats {
  durability: Durability;
  segments: number;
  firstOffset: number;
  nextOffset: number;
  durableOffset: number;
  pendingAppends: number;
  failed: string | null;
  /** Every named cursor with its lag behind durableOffset. */
  cursors: CursorLag[];
  /** With options.retain: what held back the last retention pass (a cursor, an unshipped segment) and the segment bytes it left. */
  retention: { heldBy: RetentionResult['heldBy']; bytes: number } | null;
}

export class Journal {
  #closed = false;
  #closing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  // `@internal`: left out of the emitted .d.ts (stripInternal), so the public type is the documented API.
  private constructor(
    readonly dir: string,
    /** @internal */ readonly io: JournalIO,
    /** @internal */ readonly options: ResolvedOptions,
    /** @internal */ readonly segments: SegmentManager,
    /** @internal */ readonly reader: RecordReader,
    /** @internal */ readonly commit: Commit,
    readonly recovery: RecoveryReport,
    /** @internal */ readonly lockHandles: number[],
    /** @internal */ readonly wmFd: number,
    /** @internal */ readonly durableWaiters: Waiters,
  ) {
    this.cursors = new Cursors(io, dir, {
      durableOffset: () => this.commit.durableOffset,
      firstOffset: () => this.firstOffset,
      checkRecordStart: (offset) => void this.reader.read(offset, this.commit.durableOffset),
      now: options.clock,
    });
    this.maintenance = new Maintenance({
      io,
      dir,
      segments,
      cursors: this.cursors,
      retention: options.retain,
      onSegmentSealed: options.onSegmentSealed,
      now: options.clock,
      durableOffset: () => this.commit.durableOffset,
      cleanup: (bound) => {
        if (this.commit.failed) return Promise.reject(this.commit.failed); // a failed journal deletes nothing
        return this.#runCleanup(Math.min(bound, this.commit.durableOffset), bound);
      },
      failStop: (err) => this.commit.failStop(err),
    });
  }

  /** Named durable cursors: consumers' positions, kept in the journal directory (docs/operations.md). */
  readonly cursors: Cursors;
  /** @internal */ readonly maintenance: Maintenance;

  /** Creates or opens the journal in `dir`, takes the writer lock and runs recovery. */
  static async open(dir: string, options?: JournalOptions): Promise<Journal> {
    if (typeof dir !== 'string' || dir.length === 0) throw argTypeError(`dir must be a non-empty string, got ${describe(dir)}`);
    await hashBackend.ready(); // the wasm fallback's fast paths (first use: starts them, warns once)
    const opts = resolveOptions(options);
    const io = options?.io ?? writerIO();
    const opened = await openWriter(io, dir, {
      policy: opts.recovery,
      verifyAll: opts.verifyAll,
      maxOpenSegments: opts.maxOpenSegments,
      retain: opts.retain,
      now: opts.clock,
    });
    try {
      const { segments, wmFd, end } = opened;
      const waiters = new Waiters();
      let journal: Journal;
      const commit = new GroupCommit(io, segments, wmFd, opts, end, {
        onDurable: () => waiters.notify(),
        onSealed: (sealed) => journal.maintenance.sealed(sealed),
      });
      journal = new Journal(dir, io, opts, segments, new RecordReader(io, segments), commit, opened.report, opened.lock, wmFd, waiters);
      journal.maintenance.start();
      if (opts.durability === 'none' && opts.syncIntervalMs > 0) {
        journal.#timer = setInterval(() => {
          if (commit.writtenOffset > commit.durableOffset && !commit.failed) commit.sync().catch(() => {});
        }, opts.syncIntervalMs);
        journal.#timer.unref();
      }
      return journal;
    } catch (err) {
      opened.abandon();
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
    if (!Array.isArray(payloads)) throw argTypeError(`payloads must be an array of Uint8Array, got ${describe(payloads)}`);
    this.#checkOpen();
    const max = this.options.maxRecordBytes;
    let bytes = 0;
    for (let i = 0; i < payloads.length; i++) {
      const p: unknown = payloads[i];
      // The full check (and its message) only for a payload that is not plainly fine.
      if (!(p instanceof Uint8Array) || p.length === 0 || p.length > max) this.#checkPayload(p, `payloads[${i}]`);
      bytes += (p as Uint8Array).length;
    }
    if (payloads.length === 0) return [];
    return this.commit.submit(payloads, bytes);
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

  /**
   * Records in order from `from` (default: the first) to `to` (exclusive; default: the end now).
   * `signal` aborting rejects the next step with an AbortError.
   */
  iterate(options: IterateOptions = {}): AsyncGenerator<JournalRecord> {
    // Without a signal, the reader's generator itself, not one wrapped in another (a second
    // async hop per record); bad arguments still surface from the first next(), as from a generator.
    try {
      const o = checkOptions(options, ITERATE_OPTION_KEYS);
      const signal = checkSignal(o.signal);
      const { from, to } = this.#range(o);
      return this.reader.iterate(from, to, this.commit.writtenOffset, signal);
    } catch (err) {
      return failing(err);
    }
  }

  /**
   * The records of iterate(), one array per block read (at most `maxBytes`, default 1 MiB;
   * a larger record alone): one async step per block. Payloads and hashes are views of the block.
   */
  iterateBatches(options: IterateBatchesOptions = {}): AsyncGenerator<JournalRecord[]> {
    try {
      const o = checkOptions(options, ITERATE_BATCHES_OPTION_KEYS);
      const signal = checkSignal(o.signal);
      const maxBytes = checkMaxBytes(o.maxBytes);
      const { from, to } = this.#range(o);
      const batches = this.reader.iterateBatches(from, to, this.commit.writtenOffset, maxBytes);
      return signal ? abortable(batches, signal) : batches;
    } catch (err) {
      return failing(err);
    }
  }

  #range(o: { from?: unknown; to?: unknown }): { from: number; to: number } {
    this.#checkOpen();
    const from = o.from === undefined ? this.firstOffset : checkNonNegativeInteger(o.from, 'from');
    const to = o.to === undefined ? Number.MAX_SAFE_INTEGER : checkNonNegativeInteger(o.to, 'to');
    return { from, to };
  }

  /**
   * Records as they become durable, waiting for more; ends when the journal closes.
   * `signal` aborting (also while waiting) rejects with an AbortError.
   */
  follow(options: FollowOptions = {}): AsyncGenerator<JournalRecord> {
    const o = checkOptions(options, FOLLOW_OPTION_KEYS);
    const signal = checkSignal(o.signal);
    return followRecords(this.#followSource(BLOCK_BYTES), this.#followFrom(o), signal, this.#closeController.signal);
  }

  /** follow(), one array of records per block read (as iterateBatches()). */
  followBatches(options: FollowBatchesOptions = {}): AsyncGenerator<JournalRecord[]> {
    const o = checkOptions(options, FOLLOW_BATCHES_OPTION_KEYS);
    const signal = checkSignal(o.signal);
    const maxBytes = checkMaxBytes(o.maxBytes);
    return followBatches(this.#followSource(maxBytes), this.#followFrom(o), signal, this.#closeController.signal);
  }

  #followFrom(o: { from?: unknown }): number {
    this.#checkOpen();
    return o.from === undefined ? this.firstOffset : checkNonNegativeInteger(o.from, 'from');
  }

  #followSource(maxBytes: number): Parameters<typeof followBatches>[0] {
    return {
      visibleEnd: () => this.commit.durableOffset,
      iterateRange: (f, e) => this.reader.iterateBatches(f, Number.MAX_SAFE_INTEGER, e, maxBytes),
      waitForMore: (_pos, wake) => this.durableWaiters.wait(wake),
    };
  }
  readonly #closeController = new AbortController();

  /**
   * Deletes segments lying wholly below `cursor` (a consumer's position: a record
   * boundary at or below nextOffset, else RangeError); returns the removed files,
   * with `kept` listing segments below the cursor it had to keep, and why.
   */
  async cleanup(cursor: number): Promise<CleanupResult> {
    this.#checkOpen();
    checkNonNegativeInteger(cursor, 'cursor');
    if (this.commit.failed) throw this.commit.failed;
    this.#checkCursor(cursor);
    return this.#runCleanup(Math.min(cursor, this.commit.durableOffset), cursor);
  }

  async #runCleanup(bound: number, requested: number): Promise<CleanupResult> {
    const run = this.segments.cleanup(bound, requested).catch((err: unknown) => {
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

  /**
   * A cleanup cursor past the end, or inside a record, is a caller's bug that would
   * delete what no consumer has read: refused. Offsets below the first segment or in
   * records still being written cannot be checked and are taken as they are.
   */
  #checkCursor(cursor: number): void {
    const next = this.commit.nextOffset;
    if (cursor > next) throw argRangeError(`cursor ${cursor} is beyond the end of the journal (nextOffset ${next})`);
    if (cursor <= this.firstOffset || cursor >= this.commit.writtenOffset) return;
    try {
      this.reader.read(cursor, this.commit.writtenOffset);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const gap = this.segments.resolve(cursor)?.gapAt(cursor);
      if (code === 'NOT_RECORD_START' || (code === 'OFFSET_SKIPPED' && gap && gap.from < cursor)) {
        throw argRangeError(`cursor ${cursor} is not a record boundary: ${(err as Error).message}`, 'ERR_INVALID_ARG_VALUE');
      }
      // Damage at the cursor says nothing against it being a boundary; cleanup goes on.
    }
  }
  readonly #cleanups = new Set<Promise<CleanupResult>>();

  /**
   * Runs retention now (after the pass in flight) and resolves with what it removed and
   * what held it back; null without options.retain. It also runs by itself after each seal and at open.
   */
  async applyRetention(): Promise<RetentionResult | null> {
    this.#checkOpen();
    return this.maintenance.applyRetention();
  }

  /** Records that the sealed segment starting at `base` was shipped (durably); retain.keepUnshipped then lets it go. */
  async markShipped(base: number): Promise<SealedSegmentInfo> {
    this.#checkOpen();
    return this.maintenance.markShipped(base);
  }

  /** The sealed segments in the ledger (as onSegmentSealed reported them), oldest first, with their shipped marks. */
  sealedSegments(): SealedSegmentInfo[] {
    this.#checkOpen();
    return this.maintenance.sealedSegments();
  }

  /**
   * Copies the journal up to its durable end now into the new (or empty) directory `dest`,
   * while appends go on: sealed segments hard-linked where possible, the rest streamed
   * (see backup.ts). Resolves when the copy and its directory are synced and in place.
   */
  backup(dest: string, options?: BackupOptions): Promise<BackupResult> {
    try {
      this.#checkOpen();
      checkDest(dest);
      const opts = resolveBackupOptions(options);
      // Planned synchronously: no cleanup in this process can remove a segment in between.
      const end = this.commit.durableOffset;
      const plan = planBackup(this.segments.segments, end);
      return writeBackup(this.dir, plan, end, dest, opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

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
      cursors: this.maintenance.cursorLags(),
      retention: this.maintenance.retentionStats(),
      ...this.commit.counters.snapshot(),
    };
  }

  /** Waits for pending appends, syncs ('none' mode), releases files and the lock. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) this.#closing = this.#close();
    return this.#closing;
  }

  /** `await using j = await Journal.open(dir)`: close() when the scope ends. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.commit.close();
    if (this.#timer) clearInterval(this.#timer);
    let error: unknown;
    try {
      await this.maintenance.stop();
      await Promise.allSettled([...this.#cleanups]);
      await this.commit.finishClose(); // no preallocated zeros left, the watermark on disk
    } catch (err) {
      error = err;
    } finally {
      this.#closed = true;
      this.#closeController.abort();
      this.reader.stopReadAhead();
      this.segments.closeAll();
      this.io.close(this.wmFd);
      unlockJournal(this.io, this.lockHandles);
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
      throw argRangeError(`${name} is ${payload.byteLength} bytes, above maxRecordBytes (${this.options.maxRecordBytes})`, 'RECORD_TOO_LARGE');
    }
  }
}

/** An iterator whose first next() rejects with `err`. */
async function* failing(err: unknown): AsyncGenerator<never> {
  throw err;
}

export { StemeError };
