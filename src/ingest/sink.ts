/**
 * What the Ingestor writes through: a store that applies one batch of journal
 * records and the consumer's new cursor atomically.
 *
 * Methods may answer synchronously (the SQLite `Store`, whose transactions
 * block the thread for a few ms) or with a Promise (`PgStore`, a network round
 * trip): the Ingestor awaits both. A method that fails must have changed
 * nothing: a rejected applyBatch leaves the rows AND the cursor as they were.
 */
import type { JournalRecord } from './source.js';
import type { BatchResult, CleanupFloor } from './store-write.js';
import type { ApplyBatchOptions } from './store.js';

/** A value, or a Promise of it. */
export type Awaitable<T> = T | Promise<T>;

/**
 * A batch whose CPU work (decoding, sorting, encoding) a sink did ahead of
 * its transaction (IngestSink.prepareBatch). Opaque to the Ingestor: only the
 * sink that made it applies it. Making one writes nothing, so one that is
 * never applied (the Ingestor stopped, failed, or was killed) changes nothing.
 */
export interface PreparedBatch {
  /** The records it was made from (ascending offsets), as given. */
  readonly records: readonly JournalRecord[];
}

export interface IngestSink {
  /** True when the sink was opened for queries only: the Ingestor refuses it. */
  readonly readonly: boolean;

  /** Records per batch the Ingestor uses when its `batchSize` option is not given (default DEFAULT_BATCH_SIZE). */
  readonly preferredBatchSize?: number;

  /**
   * Applies `records` (ascending offsets) for `consumer` in ONE transaction
   * with the consumer's new cursor (the `next` of the last record). Records
   * below the stored cursor are skipped; rows already present (same content
   * key) are not inserted twice. With `durable`, the commit survives power
   * loss before this resolves. `journal` is stored with the cursor (the
   * journal the consumer reads); a cursor of another journal under the same
   * consumer name is refused (IngestError JOURNAL_MISMATCH).
   */
  applyBatch(consumer: string, records: readonly JournalRecord[], options?: ApplyBatchOptions): Awaitable<BatchResult>;

  /**
   * Optional, with applyPrepared: the CPU half of applyBatch, done before the
   * batch's turn, so that the Ingestor prepares batch N+1 while batch N's
   * transaction is in flight. It must not write or read the store: it cannot
   * know the stored cursor, which applyPrepared reads and checks in the
   * transaction exactly as applyBatch does. It may throw (or reject with) what
   * applyBatch would for the same records before its transaction (BAD_SOURCE).
   * A Promise lets it work in slices (PgStore), so that the answers of the
   * transaction in flight are read between them, not after all of it.
   */
  prepareBatch?(records: readonly JournalRecord[]): Awaitable<PreparedBatch>;

  /** applyBatch of a batch this sink prepared: `applyBatch(c, r, o)` is `applyPrepared(c, prepareBatch(r), o)`. */
  applyPrepared?(consumer: string, batch: PreparedBatch, options?: ApplyBatchOptions): Awaitable<BatchResult>;

  /** The consumer's stored cursor (next offset to read), or undefined if it never committed. */
  cursor(consumer: string): Awaitable<number | undefined>;

  /**
   * Makes `consumer`'s cursor durable and returns the slowest cursor of the
   * consumers of the same journal (same journal identity), read in that same
   * durable transaction: that journal's cleanup never passes it. Cursors of
   * other journals are offsets into other files and do not count. undefined
   * while `consumer` has no cursor.
   */
  syncCleanupFloor(consumer: string): Awaitable<CleanupFloor | undefined>;
}
