/**
 * What the ingestor needs from a journal. A writer `Journal` (same process)
 * and a reader opened with `Journal.openReader` (another process) both fit;
 * so does the in-memory fake the tests use.
 */

/** One durable journal record, as the journal hands it out. */
export interface JournalRecord {
  /** Global byte offset of the record. */
  offset: number;
  /** Offset of the record after it (`offset + 40 + payload.length`): the cursor after consuming this one. */
  next: number;
  /** The payload as appended. */
  payload: Uint8Array;
  /** BLAKE3-256 of the payload (32 bytes), stored in the frame: the ingestor's content key. */
  hash: Uint8Array;
}

export interface IngestSource {
  /**
   * Durable records from `from` (a record boundary; default: the first) up to
   * `to` (exclusive; default: the durable end at the time of the call), in
   * offset order, then ends.
   */
  iterate(opts: { from?: number; to?: number }): AsyncIterable<JournalRecord>;

  /**
   * Like iterate, then waits for more durable records until `signal` aborts.
   * On abort the iteration ends (returns) or throws an AbortError; the
   * ingestor accepts both.
   */
  follow(opts: { from?: number; signal?: AbortSignal }): AsyncIterable<JournalRecord>;

  /**
   * Optional: the same records as iterate(), one array per block read (Journal.iterateBatches).
   * When present the Ingestor uses it: one async step per block instead of per record.
   */
  iterateBatches?(opts: { from?: number; to?: number }): AsyncIterable<readonly JournalRecord[]>;

  /** Optional: follow(), one array per block read (Journal.followBatches); used when present. */
  followBatches?(opts: { from?: number; signal?: AbortSignal }): AsyncIterable<readonly JournalRecord[]>;

  /** Lowest offset still present (segments below it have been cleaned up). */
  readonly firstOffset: number;

  /**
   * Optional: everything below this offset survives a crash. When present,
   * catchUp() reads only up to it. (The writer Journal's iterate() goes up to
   * what is written, which in 'none' mode or mid group commit is more than
   * what is durable; the ingestor must never commit a cursor past what the
   * journal may lose.)
   */
  readonly durableOffset?: number;

  /**
   * Optional: the offset the next append will get (a writer knows it; a
   * reader in another process does not). The end the ingestor checks `from`
   * against; without it, durableOffset is used.
   */
  readonly nextOffset?: number;

  /**
   * Deletes the segments that lie wholly below `cursorOffset`; resolves with
   * the removed paths. Writer only: a reader has no cleanup.
   */
  cleanup?(cursorOffset: number): Promise<string[]>;

  /**
   * Optional: base offsets of the present segments, ascending. Needed only for
   * the ingestor's `cleanup.retainSegments` option.
   */
  segmentBases?(): readonly number[];

  /**
   * Optional: the journal's named cursors (Journal.cursors, JournalReader.cursors). Needed
   * only for the ingestor's `journalCursor` option.
   */
  readonly cursors?: { commit(name: string, offset: number, options?: { allowBackward?: boolean }): Promise<unknown> };
}

/** The source's records from `opts.from`, a block's worth per step when it can (iterateBatches). */
export function readBatches(src: IngestSource, opts: { from: number; to?: number }): AsyncIterable<readonly JournalRecord[]> {
  return typeof src.iterateBatches === 'function' ? src.iterateBatches(opts) : singles(src.iterate(opts));
}

/** follow() of the source, a block's worth per step when it can (followBatches). */
export function followBatchesOf(src: IngestSource, opts: { from: number; signal: AbortSignal }): AsyncIterable<readonly JournalRecord[]> {
  return typeof src.followBatches === 'function' ? src.followBatches(opts) : singles(src.follow(opts));
}

/** A record-at-a-time source as blocks of one record (sources without iterateBatches/followBatches). */
async function* singles(records: AsyncIterable<JournalRecord>): AsyncGenerator<readonly JournalRecord[]> {
  for await (const rec of records) yield [rec];
}
