/**
 * The ingestor: tails an IngestSource (a journal) into an IngestSink (the
 * SQLite Store, or a PgStore).
 *
 * Exactly once: each batch's rows and the consumer's new cursor commit in one
 * transaction; a crash at any instant either keeps the whole batch and its
 * cursor or neither, and rows are keyed by content hash (insert-or-ignore), so
 * even a replay cannot duplicate.
 *
 * Batches commit one at a time, in order: a batch is only sent once the one
 * before it committed, and after a failed commit nothing more is sent (a later
 * batch would move the cursor past the lost one). The loop stops with the
 * error; start() again resumes from the stored cursor. A sink that prepares
 * batches (prepareBatch: decoding and encoding, nothing written) gets batch N+1
 * prepared while batch N's transaction is in flight.
 *
 * Journal cleanup only ever gets an offset at or below every cursor of this
 * journal's consumers in the store, made durable first (see docs/ingest.md, "Cleanup").
 */
import { CursorMirror } from './cursor-mirror.js';
import { IngestError } from './errors.js';
import { AbortError } from '../errors.js';
import { argTypeError, checkOptions, checkSignal } from '../validate.js';
import { type JournalRecord, type IngestSource, followBatchesOf, readBatches } from './source.js';
import type { Awaitable, IngestSink, PreparedBatch } from './sink.js';
import { type BatchResult, DEFAULT_JOURNAL } from './store-write.js';
import { readOnThread, readThreadSource } from './read-thread/thread-source.js';
import type { JournalReader } from '../journal/read/journal-reader.js';
import {
  CLEANUP_OPTION_KEYS,
  DEFAULT_BATCH_SIZE,
  INGESTOR_OPTION_KEYS,
  type CleanupOptions,
  type IngestStats,
  type IngestorOptions,
  checkFrom,
  diff,
  nonNegative,
  positiveInt,
} from './ingestor-options.js';

export { DEFAULT_BATCH_SIZE, type CleanupInfo, type CleanupOptions, type IngestStats, type IngestorOptions } from './ingestor-options.js';

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Ingestor {
  readonly consumer: string;
  /** The journal identity stored with the cursor (IngestorOptions.journal). */
  readonly journal: string;
  private readonly batchSize: number;
  private readonly maxLatencyMs: number;
  private readonly cleanupOpts: Required<CleanupOptions> | null;
  private readonly totals: IngestStats;
  private cursorValue: number | undefined;
  /** options.journalCursor: the journal's copy of the cursor. */
  private readonly mirror: CursorMirror | null;
  /** What catchUp() reads on a worker thread (options.readThread), or null. */
  private readonly threadReader: JournalReader | null;

  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private failure: unknown = undefined;
  private batch: JournalRecord[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastCleanup = 0;
  private cleaning: Promise<void> | null = null;
  private waiters: Waiter[] = [];
  /** The chain of commits in flight (never rejects; see commitFailure). */
  private committing: Promise<void> = Promise.resolve();
  /** Why a commit failed: later commits of this run are refused, not sent. */
  private commitFailure: unknown = undefined;
  /** Set once readFrom() has read the stored cursor (the constructor's async read must not overwrite it). */
  private cursorRead = false;

  constructor(
    private readonly source: IngestSource,
    private readonly store: IngestSink,
    private readonly options: IngestorOptions = {},
  ) {
    if (!source || typeof source.iterate !== 'function' || typeof source.follow !== 'function') {
      throw argTypeError('Ingestor: source must implement iterate() and follow()');
    }
    checkOptions(options, INGESTOR_OPTION_KEYS);
    if (store.readonly) throw argTypeError('Ingestor: the store is open readonly', 'ERR_INVALID_ARG_VALUE');
    this.consumer = options.consumer ?? 'default';
    if (typeof this.consumer !== 'string' || this.consumer.length === 0) throw argTypeError('Ingestor: consumer must be a non-empty string');
    this.journal = options.journal ?? DEFAULT_JOURNAL;
    if (typeof this.journal !== 'string' || this.journal.length === 0) throw argTypeError('Ingestor: journal must be a non-empty string');
    this.batchSize = positiveInt(options.batchSize ?? store.preferredBatchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.maxLatencyMs = nonNegative(options.maxLatencyMs ?? 20, 'maxLatencyMs');
    if (options.from !== undefined) checkFrom(source, options.from);
    this.threadReader = readThreadSource(source, options.readThread);
    const c = options.cleanup === true ? {} : options.cleanup || null;
    if (c) {
      checkOptions(c, CLEANUP_OPTION_KEYS, 'options.cleanup');
      if (typeof source.cleanup !== 'function')
        throw argTypeError('Ingestor: cleanup needs a source with cleanup() (a writer journal)', 'ERR_INVALID_ARG_VALUE');
      const retainSegments = nonNegative(c.retainSegments ?? 0, 'cleanup.retainSegments');
      if (retainSegments > 0 && typeof source.segmentBases !== 'function') {
        throw argTypeError('Ingestor: cleanup.retainSegments needs a source with segmentBases()', 'ERR_INVALID_ARG_VALUE');
      }
      this.cleanupOpts = {
        retainBytes: nonNegative(c.retainBytes ?? 0, 'cleanup.retainBytes'),
        retainSegments,
        intervalMs: nonNegative(c.intervalMs ?? 1000, 'cleanup.intervalMs'),
      };
    } else {
      this.cleanupOpts = null;
    }
    this.mirror =
      options.journalCursor === undefined
        ? null
        : new CursorMirror(
            source,
            options.journalCursor,
            () => store.syncCleanupFloor(this.consumer),
            (err) => this.options.onError?.(err, false),
          );
    this.totals = { records: 0, assertions: 0, votes: 0, epochs: 0, duplicates: 0, deadLetters: 0, skipped: 0, batches: 0, cursor: 0 };
    const stored = store.cursor(this.consumer);
    if (stored instanceof Promise) {
      // An async sink: `cursor` is known once this resolves or catchUp()/start() read it.
      // A failed read surfaces there, not here.
      stored.then(
        (c) => {
          if (!this.cursorRead) this.setCursor(c);
        },
        () => {},
      );
    } else {
      this.setCursor(stored);
    }
  }

  private setCursor(c: number | undefined): void {
    this.cursorValue = c;
    this.totals.cursor = c ?? 0;
  }

  /** The committed cursor: the next journal offset this consumer will read. */
  get cursor(): number {
    return this.cursorValue ?? this.startOffset();
  }

  /** True between start() and the end of stop() (or a fatal error). */
  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Totals since construction. */
  get stats(): IngestStats {
    return { ...this.totals };
  }

  /**
   * Ingests everything durable from the cursor to the current end of the
   * journal, committing every batchSize records; resolves with what this call
   * did. Rejects with IngestError 'BUSY' while start() is running.
   */
  async catchUp(): Promise<IngestStats> {
    if (this.running) throw new IngestError('BUSY', 'Ingestor is already running');
    const before = this.stats;
    let done!: () => void;
    this.running = new Promise<void>((r) => (done = r));
    this.commitFailure = undefined;
    try {
      const from = await this.readFrom();
      const durable = this.source.durableOffset;
      await this.pump(this.read(typeof durable === 'number' ? { from, to: durable } : { from }), false);
      await this.commit();
      await this.cleanupIfDue(true);
    } finally {
      this.clearTimer();
      await this.committing;
      await this.mirror?.settled();
      this.batch = [];
      this.finish(undefined);
      done();
    }
    return diff(this.stats, before);
  }

  /** Follows the journal in the background until stop(). Throws IngestError 'BUSY' if already running. */
  start(): void {
    if (this.running) throw new IngestError('BUSY', 'Ingestor is already running');
    this.failure = undefined;
    this.commitFailure = undefined;
    const abort = new AbortController();
    this.abort = abort;
    this.running = (async () => {
      try {
        const from = await this.readFrom();
        await this.pump(followBatchesOf(this.source, { from, signal: abort.signal }), true);
      } catch (err) {
        if (!abort.signal.aborted || !isAbortError(err)) throw err;
      }
      if (this.failure !== undefined) throw this.failure; // set by a failed timer commit
      await this.commit();
      await this.cleaning;
      await this.mirror?.settled();
    })().then(
      () => this.finish(undefined),
      async (err) => {
        this.clearTimer();
        this.batch = [];
        await this.committing; // a timer commit may still be in flight
        this.failure = err;
        this.options.onError?.(err, true);
        this.finish(err);
      },
    );
  }

  /**
   * Stops following: ends the follow, commits what was read, waits for a
   * running cleanup. Resolves with the totals; rejects with the error that
   * stopped the background loop, if one did.
   */
  async stop(): Promise<IngestStats> {
    this.abort?.abort();
    await this.running;
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
    return this.stats;
  }

  /**
   * Resolves once the committed cursor has reached `offset` (e.g. the `next`
   * of an append), for read-your-writes. Rejects if the ingestor stops first
   * or `signal` aborts (an AbortError, code 'ABORT_ERR').
   */
  waitFor(offset: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      checkOptions(options, ['signal']);
      checkSignal(options.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.cursorValue !== undefined && this.cursorValue >= offset) return Promise.resolve();
    if (!this.running) return Promise.reject(new IngestError('BUSY', 'Ingestor is not running'));
    return new Promise<void>((resolve, reject) => {
      const signal = options.signal;
      const w: Waiter = { offset, resolve, reject };
      if (signal) {
        if (signal.aborted) return reject(new AbortError(undefined, { cause: signal.reason }));
        const onAbort = () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new AbortError(undefined, { cause: signal.reason }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.resolve = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        w.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      this.waiters.push(w);
    });
  }

  // ---------------------------------------------------------------------------

  private startOffset(): number {
    return this.options.from ?? this.source.firstOffset;
  }

  /** The offset to read from, checking that the journal still has it. */
  private async readFrom(): Promise<number> {
    const stored = await this.store.cursor(this.consumer);
    this.cursorRead = true;
    this.setCursor(stored);
    // The journal learns of the consumer before its first batch: retention keeps what it has not read.
    const start = stored ?? this.options.from ?? this.source.firstOffset;
    if (start >= this.source.firstOffset) this.mirror?.set(start);
    const first = this.source.firstOffset;
    if (this.cursorValue === undefined) {
      const from = this.options.from;
      if (from === undefined) return first;
      // An explicit start whose records are gone is a gap too, not a silent skip.
      if (from < first) {
        throw new IngestError(
          'CURSOR_GAP',
          `consumer "${this.consumer}" was asked to start at offset ${from} but the journal now starts at ${first}: those records were deleted`,
        );
      }
      return from;
    }
    if (this.cursorValue < first) {
      throw new IngestError(
        'CURSOR_GAP',
        `consumer "${this.consumer}" is at offset ${this.cursorValue} but the journal now starts at ${first}: records were deleted before they were ingested`,
      );
    }
    return this.cursorValue;
  }

  /** The source's records from `opts.from`: on the read thread when it can (options.readThread). */
  private read(opts: { from: number; to?: number }): AsyncIterable<readonly JournalRecord[]> {
    if (this.threadReader) return readOnThread(this.threadReader, opts, this.batchSize, (err) => this.options.onError?.(err, false));
    return readBatches(this.source, opts);
  }

  private async pump(blocks: AsyncIterable<readonly JournalRecord[]>, follow: boolean): Promise<void> {
    // While a full batch commits, the next one is read (and verified): for a sink in another
    // process (PostgreSQL) the two really overlap. Never more than one commit waits behind the
    // reading; commits still run one at a time, in order (see commit()).
    let previous: Promise<void> = Promise.resolve();
    for await (const block of blocks) {
      for (let i = 0; i < block.length; i++) {
        if (this.batch.push(block[i]!) < this.batchSize) continue;
        const current = this.commit();
        current.catch(() => {}); // awaited at the next full batch, or by the caller's final commit()
        await previous;
        previous = current;
        if (this.cleanupOpts) await this.cleanupIfDue(false);
      }
      if (follow && this.batch.length > 0 && this.flushTimer === null) {
        this.flushTimer = setTimeout(this.onFlushTimer, this.maxLatencyMs);
      }
    }
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    this.commit().then(
      () => {
        if (this.cleanupOpts && this.cleaning === null) void this.cleanupIfDue(false);
      },
      (err) => {
        // Stop the loop: the error surfaces through stop() / onError.
        this.failure ??= err;
        this.abort?.abort();
      },
    );
  };

  private clearTimer(): void {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
  }

  /**
   * Commits the pending batch (if any) in one transaction, after the commits
   * already in flight; resolves once it has committed. Rejects (and so do all
   * later commits of this run) if it, or one before it, failed.
   */
  private commit(): Promise<void> {
    this.clearTimer();
    const batch = this.batch;
    if (batch.length === 0) return this.committing.then(() => this.throwIfCommitFailed());
    this.batch = [];
    const apply = this.prepare(batch);
    const run = this.committing.then(async () => {
      this.throwIfCommitFailed();
      this.account(await apply());
    });
    this.committing = run.catch((err) => {
      this.commitFailure ??= err;
    });
    return run;
  }

  /**
   * The sink's CPU work for `batch` now, while the batches before it commit (prepareBatch, when
   * the sink has it); returns what sends it at its turn. Preparing writes nothing: a batch that
   * never gets its turn (a commit before it failed, the process killed) leaves the store as it was.
   * An error preparing (BAD_SOURCE) is that batch's commit failure, at its turn, as applyBatch's.
   */
  private prepare(batch: JournalRecord[]): () => Awaitable<BatchResult> {
    const store = this.store;
    const options = { journal: this.journal };
    if (typeof store.prepareBatch !== 'function' || typeof store.applyPrepared !== 'function') return () => store.applyBatch(this.consumer, batch, options);
    let prepared: Awaitable<PreparedBatch>;
    try {
      prepared = store.prepareBatch(batch);
    } catch (err) {
      return () => {
        throw err;
      };
    }
    if (prepared instanceof Promise) prepared.catch(() => {}); // a failure is thrown at the batch's turn, below
    return async () => store.applyPrepared!(this.consumer, await prepared, options);
  }

  private throwIfCommitFailed(): void {
    if (this.commitFailure !== undefined) throw this.commitFailure;
  }

  private account(r: BatchResult): void {
    const t = this.totals;
    t.records += r.records;
    t.assertions += r.assertions;
    t.votes += r.votes;
    t.epochs += r.epochs;
    t.duplicates += r.duplicates;
    t.deadLetters += r.deadLetters;
    t.skipped += r.skipped;
    t.batches++;
    this.setCursor(r.cursor);
    this.mirror?.set(r.cursor);
    this.options.onBatch?.(r);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.offset <= r.cursor);
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => w.offset > r.cursor);
        for (const w of ready) w.resolve();
      }
    }
  }

  private finish(err: unknown): void {
    this.running = null;
    this.abort = null;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.cursorValue !== undefined && this.cursorValue >= w.offset) w.resolve();
      else w.reject(err ?? new IngestError('BUSY', 'Ingestor stopped before reaching the offset'));
    }
  }

  /** Runs a cleanup if one is due; never concurrently with another. */
  private cleanupIfDue(force: boolean): Promise<void> {
    const opts = this.cleanupOpts;
    if (!opts || this.cleaning) return this.cleaning ?? Promise.resolve();
    const now = Date.now();
    if (!force && now - this.lastCleanup < opts.intervalMs) return Promise.resolve();
    const target = this.cleanupTarget(opts);
    if (target === null) return Promise.resolve();
    this.lastCleanup = now;
    this.cleaning = this.runCleanup(target).finally(() => {
      this.cleaning = null;
    });
    return this.cleaning;
  }

  /** The offset to clean up to (from the in-memory cursor), or null when nothing would go. */
  private cleanupTarget(opts: Required<CleanupOptions>): number | null {
    const cursor = this.cursorValue;
    if (cursor === undefined) return null;
    let target = cursor - opts.retainBytes;
    if (opts.retainSegments > 0) {
      const bases = this.source.segmentBases!();
      // Index of the segment holding the cursor: the last base <= cursor.
      let i = bases.length - 1;
      while (i >= 0 && bases[i]! > cursor) i--;
      const keepFrom = i - opts.retainSegments;
      if (keepFrom < 0) return null;
      target = Math.min(target, bases[keepFrom]!);
    }
    // A journal's cleanup takes only record boundaries; a segment base is one, and
    // cleanup removes nothing more for `target` than for the base at or below it.
    if (opts.retainBytes > 0 && this.source.segmentBases) {
      const bases = this.source.segmentBases();
      let i = bases.length - 1;
      while (i >= 0 && bases[i]! > target) i--;
      if (i < 0) return null;
      target = bases[i]!;
    }
    return target > this.source.firstOffset ? target : null;
  }

  private async runCleanup(target: number): Promise<void> {
    try {
      // Make the cursors durable first: a synced commit covers every earlier one.
      // (A commit under synchronous=NORMAL survives a process crash, not a power loss.)
      // Other consumers of this journal (same journal identity) share it: never pass the slowest.
      const slowest = await this.store.syncCleanupFloor(this.consumer);
      if (slowest === undefined) return;
      const offset = Math.min(target, slowest.next);
      const removed = await this.source.cleanup!(offset);
      this.options.onCleanup?.({ offset, removed, slowest });
    } catch (err) {
      this.options.onError?.(err, false);
    }
  }
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
