/**
 * The SQLite store the ingestor writes and applications query.
 *
 * One SQLite connection (better-sqlite3, or the runtime's own node:sqlite or
 * bun:sqlite: see sqlite/open.ts), WAL mode. Writes go through applyBatch (one
 * transaction per batch: rows + cursor); queries use prepared statements.
 * Several processes may open the same file: one ingests, others read
 * (`readonly: true`).
 */
import { asyncDispose } from '../async-dispose.js';
import { argRangeError, argTypeError, checkOptions, describe, keysOf } from '../validate.js';
import { type BytesLike, toKey } from '../bytes.js';
import { type Assertion, type Epoch, type Vote, EPOCH_ID_BYTES, HASH_BYTES } from './records.js';
import { StoreError } from './errors.js';
import { SCHEMA_VERSION, migrate, schemaVersion } from './schema.js';
import type { JournalRecord } from './source.js';
import type { PreparedBatch } from './sink.js';
import { type BatchResult, type CleanupFloor, type DeadLetterCode, BatchWriter, DEFAULT_JOURNAL } from './store-write.js';
import { type AssertionRow, type DeadLetterRow, type EpochRow, type VoteRow, assertionFromRow, prepareQueries, rows, voteFromRow } from './store-queries.js';
import { SQLITE_DRIVERS, openSqlite } from './sqlite/open.js';
import type { SqliteDatabase, SqliteDriverName } from './sqlite/types.js';

export interface StoreOptions {
  /** Open for queries only: no migration, no writes. The schema must be current. Default false. */
  readonly?: boolean;
  /**
   * `PRAGMA synchronous` for ordinary batch commits. 'NORMAL' (default) is
   * durable against process crashes (SIGKILL) but a power loss may take back
   * the last commits; they are then re-ingested from the journal, which is
   * safe because journal cleanup only follows a FULL-synced cursor.
   * 'FULL' syncs every commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** Busy timeout in ms when another connection holds the write lock. Default 5000. */
  timeout?: number;
  /**
   * SQLite page cache in KiB (an upper bound: pages are allocated as they are
   * used). Default 262144 (256 MiB). Content keys are random, so a batch
   * dirties pages all over the assertions table and the subject index; when
   * the cache cannot hold them, SQLite spills them to the WAL mid-transaction
   * and reads them back. Measured with 1 M assertions: 64 MiB -> 256 MiB was
   * worth ~1.2-1.5x (benches/ingest.ts, docs/ingest.md).
   */
  cacheSizeKiB?: number;
  /**
   * `PRAGMA wal_autocheckpoint` in pages. Default: 64 MiB worth of pages
   * (4096 at the default page size). Fewer, larger checkpoints (each one
   * fsyncs) are faster than SQLite's 1000 pages. Ignored when readonly.
   */
  walAutocheckpointPages?: number;
  /**
   * Page size in bytes for a NEW database file: a power of two in [512,
   * 65536]. Default 16384. SQLite fixes the page size when the file is
   * created, so this is ignored for an existing file (changing it needs a
   * VACUUM). Ignored when readonly.
   */
  pageSize?: number;
  /**
   * The SQLite driver: 'better-sqlite3', 'node:sqlite' or 'bun:sqlite'.
   * Default: better-sqlite3 when it is installed and loads, else the runtime's
   * own (node:sqlite on Node >= 22.13 and Deno, bun:sqlite on Bun).
   */
  driver?: SqliteDriverName;
}

export interface PageOptions {
  /** Page size, a positive integer. Default 100. */
  limit?: number;
  /** Hash of the last assertion of the previous page (keyset pagination). */
  after?: BytesLike;
}

export interface StoredAssertion extends Assertion {
  /** Content hash (BLAKE3 of the payload). */
  hash: Buffer;
  /** Journal offset the record was read from. */
  offset: number;
}
export interface StoredVote extends Vote {
  hash: Buffer;
  offset: number;
}
export interface StoredEpoch extends Epoch {
  hash: Buffer;
  offset: number;
}

export interface Tally {
  /** Sum of the weights of the supporting (+1) votes. */
  support: number;
  /** Sum of the weights of the opposing (-1) votes. */
  oppose: number;
  /** support - oppose. */
  score: number;
  /** Number of votes counted. */
  votes: number;
}

export interface TallyOptions {
  /**
   * 'all' (default): every vote counts. 'latest': only each voter's latest
   * vote (by createdAt, then hash) counts, so re-voting replaces a vote.
   */
  perVoter?: 'all' | 'latest';
}

export interface CursorInfo {
  consumer: string;
  /** The journal identity the consumer reads (IngestorOptions.journal; 'default' when none was given). */
  journal: string;
  /** Next journal offset to read. */
  next: number;
  /** Last cursor committed with synchronous=FULL (survives power loss). */
  synced: number;
  /** ms since the Unix epoch. */
  updatedAt: number;
}

export interface DeadLetter {
  consumer: string;
  offset: number;
  code: DeadLetterCode;
  reason: string;
  payload: Buffer;
  hash: Buffer;
  /** When it was dead-lettered, ms since the Unix epoch. */
  createdAt: number;
}

export interface StoreCounts {
  assertions: number;
  votes: number;
  epochs: number;
  deadLetters: number;
}

const DEFAULT_LIMIT = 100;
const STORE_OPTION_KEYS = keysOf<StoreOptions>({
  readonly: true,
  synchronous: true,
  timeout: true,
  cacheSizeKiB: true,
  walAutocheckpointPages: true,
  pageSize: true,
  driver: true,
});
const PAGE_OPTION_KEYS = keysOf<PageOptions>({ limit: true, after: true });
/** Larger pages: shallower b-trees and fewer page writes per random-key batch (measured ~1.3-1.6x over 4096 with 1 M assertions). */
const DEFAULT_PAGE_SIZE = 16384;
const DEFAULT_CACHE_KIB = 262144;
const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;

export class Store {
  /** The path given to open. */
  readonly path: string;
  readonly readonly: boolean;
  /** The SQLite driver this store runs on. */
  readonly driver: SqliteDriverName;
  private readonly database: SqliteDatabase;
  private writer: BatchWriter | undefined;
  private readonly stmts: ReturnType<typeof prepareQueries>;

  private constructor(path: string, database: SqliteDatabase, readonly: boolean, driver: SqliteDriverName) {
    this.path = path;
    this.driver = driver;
    this.database = database;
    this.readonly = readonly;
    this.stmts = prepareQueries(database);
  }

  /**
   * Opens (creating if needed, unless readonly) the store at `path` and
   * migrates it to the current schema. ':memory:' works for tests.
   */
  static open(path: string, options: StoreOptions = {}): Store {
    if (typeof path !== 'string' || path.length === 0) throw argTypeError(`Store.open: path must be a non-empty string, got ${describe(path)}`);
    checkOptions(options, STORE_OPTION_KEYS);
    const readonly = options.readonly ?? false;
    const timeout = options.timeout ?? 5000;
    if (typeof readonly !== 'boolean') throw argTypeError(`Store.open: readonly must be a boolean, got ${describe(readonly)}`);
    if (typeof timeout !== 'number') throw argTypeError(`Store.open: timeout must be a number, got ${describe(timeout)}`);
    if (!Number.isSafeInteger(timeout) || timeout < 0) throw argRangeError(`Store.open: timeout must be an integer >= 0, got ${timeout}`);
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw argRangeError(`Store.open: synchronous must be 'NORMAL' or 'FULL'`, 'ERR_INVALID_ARG_VALUE');
    const cache = options.cacheSizeKiB ?? DEFAULT_CACHE_KIB;
    if (!Number.isInteger(cache) || cache <= 0) throw argRangeError('Store.open: cacheSizeKiB must be a positive integer');
    const autocheckpointOption = options.walAutocheckpointPages;
    if (autocheckpointOption !== undefined && (!Number.isInteger(autocheckpointOption) || autocheckpointOption < 0)) {
      throw argRangeError('Store.open: walAutocheckpointPages must be an integer >= 0');
    }
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw argRangeError('Store.open: pageSize must be a power of two in [512, 65536]');
    }
    if (options.driver !== undefined && !SQLITE_DRIVERS.includes(options.driver)) {
      throw argRangeError(
        `Store.open: driver must be one of ${SQLITE_DRIVERS.map((d) => `'${d}'`).join(', ')}, got ${describe(options.driver)}`,
        'ERR_INVALID_ARG_VALUE',
      );
    }
    const { db, driver } = openSqlite(path, { readonly, timeout, driver: options.driver });
    try {
      db.pragma(`cache_size = -${cache}`); // this connection only
      // Before anything that persists (journal_mode = WAL rewrites the file header): a newer
      // file is refused untouched. (migrate() checks again inside its transaction.)
      const v = schemaVersion(db);
      if (v > SCHEMA_VERSION) {
        throw new StoreError('SCHEMA_TOO_NEW', `store ${path} has schema version ${v}, newer than this stemedb supports (${SCHEMA_VERSION}); upgrade stemedb`);
      }
      if (!readonly) {
        // Only an empty database takes a new page size, and it must come before journal_mode
        // (switching to WAL writes the header).
        if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma(`page_size = ${pageSize}`);
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous}`);
        const autocheckpoint =
          autocheckpointOption ?? Math.max(1000, Math.round(DEFAULT_CHECKPOINT_BYTES / (db.pragma('page_size', { simple: true }) as number)));
        db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
        db.pragma('foreign_keys = OFF');
        migrate(db);
      } else if (v < SCHEMA_VERSION) {
        throw new StoreError(
          'SCHEMA_TOO_OLD',
          `store ${path} has schema version ${v}, this stemedb needs ${SCHEMA_VERSION}: open it once without readonly to migrate`,
        );
      }
      return new Store(path, db, readonly, driver);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * The underlying connection, for ad-hoc SQL: on better-sqlite3 its Database
   * itself, on node:sqlite and bun:sqlite an adapter with the same methods
   * (see SqliteDatabase). Don't write to the tables behind the ingestor's back.
   */
  get db(): SqliteDatabase {
    return this.database;
  }

  get open(): boolean {
    return this.database.open;
  }

  /** PRAGMA user_version of the file. */
  get schemaVersion(): number {
    return schemaVersion(this.database);
  }

  /** Closes the connection. Idempotent; async like Journal.close() (the work itself is synchronous). */
  async close(): Promise<void> {
    if (this.database.open) this.database.close();
  }

  /** `await using store = Store.open(path)`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- writes (used by the Ingestor) ----------------------------------------

  /**
   * Applies a batch of journal records for `consumer` in ONE transaction:
   * decoded rows (INSERT OR IGNORE by hash), dead letters for undecodable
   * payloads, and the new cursor. Records below the stored cursor are skipped.
   * With `durable`, the commit is synced (synchronous=FULL) and recorded as the
   * consumer's synced cursor.
   */
  applyBatch(consumer: string, records: readonly JournalRecord[], options: ApplyBatchOptions = {}): BatchResult {
    checkOptions(options, APPLY_BATCH_OPTION_KEYS);
    return this.batchWriter().apply(checkConsumer(consumer), records, options.durable ?? false, checkJournalId(options.journal));
  }

  /**
   * IngestSink.prepareBatch: here nothing to do ahead. SQLite runs in this thread, so there is
   * no server to overlap with, and the records are decoded inside the transaction, 16 rows at a
   * time straight into the INSERT's bind values.
   */
  prepareBatch(records: readonly JournalRecord[]): PreparedBatch {
    return new SqliteBatch(records);
  }

  /** applyBatch of a batch from prepareBatch. */
  applyPrepared(consumer: string, batch: PreparedBatch, options: ApplyBatchOptions = {}): BatchResult {
    if (!(batch instanceof SqliteBatch)) throw argTypeError('Store.applyPrepared: batch must come from Store.prepareBatch');
    return this.applyBatch(consumer, batch.records, options);
  }

  /** Commits a synced write for `consumer` and returns its cursor, now durable (undefined: no cursor yet). */
  syncCursor(consumer: string): number | undefined {
    return this.batchWriter().syncCursor(checkConsumer(consumer));
  }

  /**
   * syncCursor for journal cleanup: also returns the slowest cursor of the
   * consumers of `consumer`'s journal, read in the same synced transaction
   * (that journal's cleanup must never pass it). undefined while `consumer`
   * has no cursor.
   */
  syncCleanupFloor(consumer: string): CleanupFloor | undefined {
    return this.batchWriter().syncCursorAndFloor(checkConsumer(consumer))?.floor;
  }

  private batchWriter(): BatchWriter {
    if (this.readonly) throw new StoreError('READONLY', 'store is open readonly');
    return (this.writer ??= new BatchWriter(this.database));
  }

  // ---- queries ---------------------------------------------------------------

  /** The consumer's next offset to read, or undefined if it has never committed. */
  cursor(consumer = 'default'): number | undefined {
    return this.stmts.cursor.get(checkConsumer(consumer)) as number | undefined;
  }

  cursors(): CursorInfo[] {
    return (this.stmts.cursors.all() as { consumer: string; journal: string; next_offset: number; synced_offset: number; updated_at: number }[]).map((r) => ({
      consumer: r.consumer,
      journal: r.journal,
      next: r.next_offset,
      synced: r.synced_offset,
      updatedAt: r.updated_at,
    }));
  }

  getAssertion(hash: BytesLike): StoredAssertion | null {
    const row = this.stmts.assertion.get(toKey(hash, HASH_BYTES, 'hash')) as AssertionRow | undefined;
    return row ? assertionFromRow(row) : null;
  }

  /**
   * Every assertion about `subject`, oldest first (createdAt, then hash).
   * Pass the hash of the last item as `after` for the next page.
   */
  assertionsBySubject(subject: string, options: PageOptions = {}): StoredAssertion[] {
    if (typeof subject !== 'string') throw argTypeError(`subject must be a string, got ${describe(subject)}`);
    checkOptions(options, PAGE_OPTION_KEYS);
    const limit = checkLimit(options.limit);
    if (options.after === undefined) return rows(this.stmts.bySubject.all(subject, limit));
    const after = toKey(options.after, HASH_BYTES, 'after');
    const at = this.stmts.subjectAt.get(after, subject) as number | undefined;
    if (at === undefined) throw argRangeError(`after: no assertion with that hash about subject "${subject.slice(0, 80)}"`);
    return rows(this.stmts.bySubjectAfter.all(subject, at, after, limit));
  }

  /** Assertions made in epoch `id`, oldest first; keyset pagination as assertionsBySubject. */
  assertionsInEpoch(id: BytesLike, options: PageOptions = {}): StoredAssertion[] {
    const epoch = toKey(id, EPOCH_ID_BYTES, 'epoch id');
    checkOptions(options, PAGE_OPTION_KEYS);
    const limit = checkLimit(options.limit);
    if (options.after === undefined) return rows(this.stmts.byEpoch.all(epoch, limit));
    const after = toKey(options.after, HASH_BYTES, 'after');
    const at = this.stmts.epochAt.get(after, epoch) as number | undefined;
    if (at === undefined) throw argRangeError('after: no assertion with that hash in this epoch', 'ERR_INVALID_ARG_VALUE');
    return rows(this.stmts.byEpochAfter.all(epoch, at, after, limit));
  }

  /** Votes on the assertion (whether or not it has arrived yet), oldest first. */
  votesFor(hash: BytesLike): StoredVote[] {
    const key = toKey(hash, HASH_BYTES, 'hash');
    return (this.stmts.votes.all(key) as VoteRow[]).map(voteFromRow);
  }

  /**
   * Weighted tally of the votes on an assertion, or null while the assertion
   * itself has not been ingested (votes that came first are kept and count
   * from the moment it arrives).
   */
  tally(hash: BytesLike, options: TallyOptions = {}): Tally | null {
    const key = toKey(hash, HASH_BYTES, 'hash');
    checkOptions(options, ['perVoter']);
    const perVoter = options.perVoter ?? 'all';
    if (perVoter !== 'all' && perVoter !== 'latest') throw argRangeError(`perVoter must be 'all' or 'latest'`, 'ERR_INVALID_ARG_VALUE');
    if (this.stmts.hasAssertion.get(key) === undefined) return null;
    const r = (perVoter === 'all' ? this.stmts.tallyAll : this.stmts.tallyLatest).get(key) as {
      support: number;
      oppose: number;
      votes: number;
    };
    return { support: r.support, oppose: r.oppose, score: r.support - r.oppose, votes: r.votes };
  }

  getEpoch(id: BytesLike): StoredEpoch | null {
    const row = this.stmts.epoch.get(toKey(id, EPOCH_ID_BYTES, 'epoch id')) as EpochRow | undefined;
    if (!row) return null;
    const e: StoredEpoch = { id: row.id, name: row.name, description: row.description, startedAt: row.started_at, hash: row.hash, offset: row.offset };
    if (row.parent !== null) e.parent = row.parent;
    return e;
  }

  /** Dead letters in offset order (per consumer); `after` is the last offset seen. */
  deadLetters(options: { consumer?: string; limit?: number; after?: number } = {}): DeadLetter[] {
    checkOptions(options, ['consumer', 'limit', 'after']);
    const consumer = checkConsumer(options.consumer ?? 'default');
    const limit = checkLimit(options.limit);
    const after = options.after ?? -1;
    if (typeof after !== 'number' || !Number.isFinite(after)) throw argTypeError(`after must be a number (an offset), got ${describe(after)}`);
    return (this.stmts.deadLetters.all(consumer, after, limit) as DeadLetterRow[]).map((r) => ({
      consumer: r.consumer,
      offset: r.offset,
      code: r.code as DeadLetterCode,
      reason: r.reason,
      payload: r.payload,
      hash: r.hash,
      createdAt: r.created_at,
    }));
  }

  /** Row counts (a full count: cheap for tests and tools, not for hot paths). */
  counts(): StoreCounts {
    return this.stmts.counts.get() as StoreCounts;
  }
}

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (typeof limit !== 'number') throw argTypeError(`limit must be a number, got ${describe(limit)}`);
  if (!Number.isSafeInteger(limit) || limit <= 0) throw argRangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}

/** Store.prepareBatch's batch: the records as given. */
class SqliteBatch implements PreparedBatch {
  constructor(readonly records: readonly JournalRecord[]) {}
}

/** Options of applyBatch, on both stores. */
export interface ApplyBatchOptions {
  /** Commit durably (survives power loss) and record the cursor as synced. */
  durable?: boolean;
  /** The journal identity stored with the cursor (see IngestorOptions.journal). Default 'default'. */
  journal?: string;
}

export const APPLY_BATCH_OPTION_KEYS = keysOf<ApplyBatchOptions>({ durable: true, journal: true });

/** A journal identity: a non-empty string; undefined means the default journal. */
export function checkJournalId(journal: string | undefined): string {
  if (journal === undefined) return DEFAULT_JOURNAL;
  if (typeof journal !== 'string' || journal.length === 0) throw argTypeError(`journal must be a non-empty string, got ${describe(journal)}`);
  return journal;
}

export function checkConsumer(consumer: string): string {
  if (typeof consumer !== 'string' || consumer.length === 0) throw argTypeError(`consumer must be a non-empty string, got ${describe(consumer)}`);
  return consumer;
}
