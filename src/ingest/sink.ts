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
