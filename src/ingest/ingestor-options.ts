/**
 * The Ingestor's options, its stats and their argument checks (the class is in
 * ingestor.ts).
 */
import { argRangeError, keysOf } from '../validate.js';
import type { IngestSource } from './source.js';
import type { BatchResult, CleanupFloor } from './store-write.js';

/**
 * Records per transaction when `batchSize` is not given. Large: with random
 * content keys, a transaction writes every page it touched once, so the more
 * rows share a page write the better (1 M assertions: 4096 -> 65536 was worth
 * ~1.8x, 65536 -> 131072 another ~1.16x; see docs/ingest.md). Not larger: a
 * transaction holds the store's write lock, and other writers wait at most the
 * Store's busy timeout (5 s) for it. While following, batches are only this
 * large when there is a backlog: a partial batch commits after maxLatencyMs.
 */
export const DEFAULT_BATCH_SIZE = 131072;

export interface CleanupOptions {
  /** Keep at least this many bytes of journal below the cursor. Default 0. */
  retainBytes?: number;
  /** Keep at least this many whole segments below the cursor's segment (needs source.segmentBases). Default 0. */
  retainSegments?: number;
  /** At most one cleanup (and so one synced commit) per this many ms. Default 1000. */
  intervalMs?: number;
}

export interface CleanupInfo {
  /** The offset passed to source.cleanup (segments wholly below it may go). */
  offset: number;
  /** Paths of the removed segments. */
  removed: string[];
  /** The consumer of this journal with the lowest cursor (maybe this one), that cursor, and the journal identity. */
  slowest: CleanupFloor;
}

export const CLEANUP_OPTION_KEYS = keysOf<CleanupOptions>({ retainBytes: true, retainSegments: true, intervalMs: true });

export interface IngestorOptions {
  /** Cursor name in the store, unique across every journal writing into it. Default 'default'. */
  consumer?: string;
  /**
   * The identity of the journal this ingestor reads, stored with its cursor:
   * journal cleanup only waits for consumers of the same journal. Give every
   * journal sharing a store its own name (stable across restarts and
   * machines, e.g. the writer's host and service name); a journal's several
   * consumers must use the same one. Default 'default': every consumer
   * without a name counts as reading one shared journal, which is right for
   * one journal and merely holds cleanup back (never unsafe) for several.
   */
  journal?: string;
  /** Records per transaction. Default: the sink's preferredBatchSize (PgStore: 8192), else DEFAULT_BATCH_SIZE (131 072). */
  batchSize?: number;
  /** While following: commit a partial batch this many ms after its first record. Default 20. */
  maxLatencyMs?: number;
  /**
   * Where a consumer with no cursor yet starts: a record boundary. Default:
   * source.firstOffset. Below firstOffset (deleted records): CURSOR_GAP at
   * catchUp()/start(). Beyond the journal's end (source.nextOffset, else
   * source.durableOffset): a RangeError from the constructor.
   */
  from?: number;
  /** Delete journal segments the cursor has passed (writer sources only). Default: off. */
  cleanup?: CleanupOptions | boolean;
  /**
   * Mirror this consumer's cursor into the journal's named cursor of this name, after
   * each store transaction commits (source.cursors needed), so the journal knows the
   * consumer: its lag shows in journal.stats().cursors and retention keeps what it has
   * not read. The store's cursor stays the truth. Default: off.
   */
  journalCursor?: string;
  /**
   * catchUp() reads, verifies and scans the records on a worker thread while this thread inserts
   * the batch before (docs/ingest.md, "Two threads"). Needs a reader from Journal.openReader
   * without a custom `io`; true with any other source is an error. Default false: on the 2-core
   * machines it was measured on it was slower and took more CPU. start() (follow) always reads
   * on this thread.
   */
  readThread?: boolean;
  /** Called after every committed batch (synchronously; keep it cheap). */
  onBatch?: (batch: BatchResult) => void;
  /**
   * Called after a cleanup with the offset passed to source.cleanup, what it
   * removed, and the slowest consumer in the store (whose cursor bounds it).
   */
  onCleanup?: (info: CleanupInfo) => void;
  /**
   * Called with background errors: a fatal one (the follow loop stops; stop()
   * rejects with it) or a failed cleanup (ingestion goes on).
   */
  onError?: (err: unknown, fatal: boolean) => void;
}

export const INGESTOR_OPTION_KEYS = keysOf<IngestorOptions>({
  consumer: true,
  journal: true,
  batchSize: true,
  maxLatencyMs: true,
  from: true,
  cleanup: true,
  onBatch: true,
  onCleanup: true,
  onError: true,
  journalCursor: true,
  readThread: true,
});

/** Totals since the ingestor was created: every committed batch's counts summed, and the cursor after the last commit. */
export interface IngestStats extends BatchResult {
  /** Batches committed. */
  batches: number;
}

export function diff(after: IngestStats, before: IngestStats): IngestStats {
  return {
    records: after.records - before.records,
    assertions: after.assertions - before.assertions,
    votes: after.votes - before.votes,
    epochs: after.epochs - before.epochs,
    duplicates: after.duplicates - before.duplicates,
    deadLetters: after.deadLetters - before.deadLetters,
    skipped: after.skipped - before.skipped,
    batches: after.batches - before.batches,
    cursor: after.cursor,
  };
}

/**
 * `from` must not lie beyond the journal's end as the source knows it now: the
 * consumer would skip whatever is appended up to it, and the offset it waits
 * for may never be a record boundary.
 */
export function checkFrom(source: IngestSource, from: number): void {
  if (!Number.isSafeInteger(from) || from < 0) throw argRangeError(`Ingestor: from must be an integer offset >= 0, got ${from}`);
  const end = typeof source.nextOffset === 'number' ? source.nextOffset : source.durableOffset;
  if (typeof end === 'number' && from > end) {
    throw argRangeError(`Ingestor: from (${from}) is beyond the end of the journal (${end}); start at or below it`);
  }
}

export function positiveInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw argRangeError(`Ingestor: ${what} must be a positive integer, got ${n}`);
  return n;
}

export function nonNegative(n: number, what: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw argRangeError(`Ingestor: ${what} must be a number >= 0, got ${n}`);
  return n;
}
