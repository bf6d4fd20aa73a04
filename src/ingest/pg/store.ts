/**
 * PgStore: the ingest store in PostgreSQL >= 13, for many journals (on many
 * machines) ingesting into one shared database. Same tables, meaning and
 * query API as the SQLite Store, but every method is async.
 *
 * node-postgres (`pg`) is an optional peer dependency, loaded on first use.
 * Connections come from a small pool: after the server went away, the next
 * call connects again (the Ingestor stops on the failed batch; start() again
 * resumes from the stored cursor).
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { PgPool, PgPoolConfig } from './types.js';
import { createRequire } from 'node:module';
import { asyncDispose } from '../../async-dispose.js';
import { argRangeError, argTypeError, checkOptions, describe as describeValue, keysOf } from '../../validate.js';
import { type BytesLike, toKey } from '../../bytes.js';
import { EPOCH_ID_BYTES, HASH_BYTES } from '../records.js';
import { StoreError } from '../errors.js';
import type { IngestSink, PreparedBatch } from '../sink.js';
import type { JournalRecord } from '../source.js';
import type { BatchResult, CleanupFloor } from '../store-write.js';
import {
  APPLY_BATCH_OPTION_KEYS,
  type ApplyBatchOptions,
  checkJournalId,
  type CursorInfo,
  type DeadLetter,
  type PageOptions,
  type StoreCounts,
  type StoredAssertion,
  type StoredEpoch,
  type StoredVote,
  type Tally,
  type TallyOptions,
  checkConsumer,
  checkLimit,
} from '../store.js';
import { type AssertionRow, type VoteRow, assertionFromRow, voteFromRow } from '../store-queries.js';
import { PG_SCHEMA_VERSION, migratePg, pgSchemaVersion, tooNew } from './schema.js';
import { PgBatch, applyInTransaction, prepareRecords, prepareRecordsSliced, type PgDeadLetterCode } from './write.js';

const requireFromHere = createRequire(import.meta.url);
type PgModule = typeof import('pg');

function loadPg(): PgModule {
  try {
    return requireFromHere('pg') as PgModule;
  } catch (cause) {
    throw new StoreError(
      'PG_UNAVAILABLE',
      `PgStore needs the pg package (an optional peer dependency of stemedb), which could not be loaded (${(cause as Error).message.split('\n')[0]}). Fix: npm install pg`,
      { cause },
    );
  }
}

export interface PgStoreOptions {
  /** Queries only: no migration, no writes. The schema must be current. Default false. */
  readonly?: boolean;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** Give up connecting after this many ms. Default 10000. */
  connectTimeoutMs?: number;
}

const PG_STORE_OPTION_KEYS = keysOf<PgStoreOptions>({ readonly: true, poolSize: true, connectTimeoutMs: true });

export interface PgDeadLetter extends Omit<DeadLetter, 'code'> {
  code: PgDeadLetterCode;
}

/** Transaction retries after a deadlock or serialization failure (the transaction was rolled back: safe to rerun). */
const RETRIES = 5;
const RETRYABLE = new Set(['40P01', '40001']);
/** Error codes meaning the connection, not the statement, failed. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
]);
/** SQLSTATE classes of failed connects: 08 connection exception, 28 invalid authorization, 3D000 no such database. */
const CONNECT_CLASSES = ['08', '28', '3D'];

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && (CONNECTION_CODES.has(e.code) || CONNECT_CLASSES.some((c) => e.code!.startsWith(c)))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e?.message ?? '');
}

/** A connection failure as a StoreError (other errors pass through). */
function wrap(err: unknown, code: 'CONNECT_FAILED' | 'CONNECTION_LOST', what: string): unknown {
  if (err instanceof StoreError || !isConnectionError(err)) return err;
  return new StoreError(code, `${what}: ${(err as Error).message || (err as { code?: string }).code}`, { cause: err });
}

/** The Ingestor's default batch size into PostgreSQL (see PgStore.preferredBatchSize). */
export const PG_BATCH_SIZE = 8192;

export class PgStore implements IngestSink {
  /**
   * The Ingestor's default batch size into PostgreSQL (IngestSink.preferredBatchSize): smaller
   * than SQLite's, so that the Ingestor reads and encodes the next batch while the server writes
   * this one (benches/ingest-pg.ts: 8192 beat 4096, 16 384 and 65 536 rows per transaction).
   */
  readonly preferredBatchSize = PG_BATCH_SIZE;

  private constructor(
    private readonly connections: Pool,
    readonly readonly: boolean,
    /** Where it is connected, without the password. */
    readonly target: string,
  ) {}

  /**
   * Connects to `url` (postgres://user:pass@host:port/db, a Unix socket as
   * postgres://user@%2Fpath%2Fto%2Fdir/db, or a pg PoolConfig), checks the
   * server (>= 13) and the schema, and migrates it unless readonly.
   */
  static async open(url: string | PgPoolConfig, options: PgStoreOptions = {}): Promise<PgStore> {
    checkOptions(options, PG_STORE_OPTION_KEYS, 'PgStore.open options');
    const config = poolConfig(url, options);
    const readonly = options.readonly ?? false;
    const pg = loadPg();
    const target = describe(config);
    const pool = new pg.Pool({
      ...config,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as never },
    });
    // An idle connection the server dropped: the pool discards it and the next call reconnects.
    pool.on('error', () => undefined);
    const store = new PgStore(pool, readonly, target);
    try {
      const client = await store.connect();
      try {
        const v = Number((await client.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!.server_version_num);
        if (v < 130000) throw new StoreError('SERVER_TOO_OLD', `${target} runs PostgreSQL ${Math.floor(v / 10000)}; PgStore needs 13 or newer`);
        const schema = await pgSchemaVersion(client);
        // A newer database is refused before anything is changed.
        if (schema > PG_SCHEMA_VERSION) throw tooNew(target, schema);
        if (!readonly) await migratePg(client);
        else if (schema < PG_SCHEMA_VERSION) {
          throw new StoreError(
            'SCHEMA_TOO_OLD',
            `${target} has schema version ${schema}, this stemedb needs ${PG_SCHEMA_VERSION}: open it once without readonly to migrate`,
          );
        }
      } catch (err) {
        throw wrap(err, 'CONNECTION_LOST', `opening ${target}`);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** The pg Pool, for ad-hoc SQL. Don't write to the tables behind the ingestor's back. */
  get pool(): PgPool {
    return this.connections as unknown as PgPool;
  }

  async close(): Promise<void> {
    if (!this.connections.ended) await this.connections.end();
  }

  /** `await using store = await PgStore.open(url)`: closes the pool. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  async schemaVersion(): Promise<number> {
    const client = await this.connect();
    try {
      return await pgSchemaVersion(client);
    } finally {
      client.release();
    }
  }

  // ---- writes (the IngestSink) ----------------------------------------------

  /**
   * Applies a batch for `consumer` in ONE transaction: rows (ON CONFLICT DO
   * NOTHING on the content key), dead letters, and the new cursor. A failure
   * commits nothing. With `durable`, the commit is synchronous
   * (synchronous_commit = on) and recorded as the consumer's synced cursor.
   */
  async applyBatch(consumer: string, records: readonly JournalRecord[], options: ApplyBatchOptions = {}): Promise<BatchResult> {
    // The argument checks first, as before batches could be prepared: a readonly store says so whatever the records.
    this.writable();
    checkOptions(options, APPLY_BATCH_OPTION_KEYS);
    checkConsumer(consumer);
    checkJournalId(options.journal);
    return this.applyPrepared(consumer, prepareRecords(records), options);
  }

  /**
   * Decodes `records`, sorts each table's rows by key and builds the statements' array
   * parameters, without touching the database (IngestSink.prepareBatch): the Ingestor does this
   * for the next batch while one commits, in slices of a few ms (the answers of the transaction
   * in flight are read between them: each of its round trips before the INSERT would otherwise
   * wait for the whole of it). Rejects with IngestError BAD_SOURCE for malformed records.
   */
  prepareBatch(records: readonly JournalRecord[]): Promise<PreparedBatch> {
    return prepareRecordsSliced(records);
  }

  /** applyBatch of a batch from prepareBatch: the transaction is round trips only (see write.ts). */
  async applyPrepared(consumer: string, batch: PreparedBatch, options: ApplyBatchOptions = {}): Promise<BatchResult> {
    this.writable();
    checkOptions(options, APPLY_BATCH_OPTION_KEYS);
    checkConsumer(consumer);
    const journal = checkJournalId(options.journal);
    if (!(batch instanceof PgBatch)) throw argTypeError('PgStore.applyPrepared: batch must come from PgStore.prepareBatch');
    const durable = options.durable ?? false;
    return this.transaction((client, now) => applyInTransaction(client, consumer, batch, durable, now, journal));
  }

  /** Makes `consumer`'s cursor durable (a synchronous commit) and returns it; undefined without a cursor. */
  async syncCursor(consumer: string): Promise<number | undefined> {
    return (await this.syncCursorAndFloor(consumer))?.cursor;
  }

  async syncCleanupFloor(consumer: string): Promise<CleanupFloor | undefined> {
    return (await this.syncCursorAndFloor(consumer))?.floor;
  }

  /**
   * One synchronous commit marking `consumer`'s cursor synced, reading the
   * slowest cursor of the consumers of its journal in the same transaction. Every cursor it
   * reads was committed before it, and PostgreSQL's WAL is one log, so its
   * flush makes them durable too.
   */
  private async syncCursorAndFloor(consumer: string): Promise<{ cursor: number; floor: CleanupFloor } | undefined> {
    this.writable();
    checkConsumer(consumer);
    return this.transaction(async (client, now) => {
      await client.query('SET LOCAL synchronous_commit = on');
      const r = await client.query<{ next_offset: number }>(
        'UPDATE ingest_cursors SET synced_offset = next_offset, updated_at = $2 WHERE consumer = $1 RETURNING next_offset',
        [consumer, String(now)],
      );
      if (r.rowCount === 0) return undefined;
      // Only cursors of this consumer's journal: offsets of different journals are not comparable.
      const floor = await client.query<CleanupFloor>(
        `SELECT consumer, next_offset AS next, journal FROM ingest_cursors
         WHERE journal = (SELECT journal FROM ingest_cursors WHERE consumer = $1) ORDER BY next_offset, consumer LIMIT 1`,
        [consumer],
      );
      return { cursor: r.rows[0]!.next_offset, floor: floor.rows[0]! };
    });
  }

  // ---- queries ---------------------------------------------------------------

  async cursor(consumer = 'default'): Promise<number | undefined> {
    const r = await this.query<{ next_offset: number }>('SELECT next_offset FROM ingest_cursors WHERE consumer = $1', [checkConsumer(consumer)]);
    return r[0]?.next_offset;
  }

  async cursors(): Promise<CursorInfo[]> {
    const r = await this.query<{ consumer: string; journal: string; next_offset: number; synced_offset: number; updated_at: number }>(
      'SELECT consumer, journal, next_offset, synced_offset, updated_at FROM ingest_cursors ORDER BY consumer',
    );
    return r.map((c) => ({ consumer: c.consumer, journal: c.journal, next: c.next_offset, synced: c.synced_offset, updatedAt: c.updated_at }));
  }

  async getAssertion(hash: BytesLike): Promise<StoredAssertion | null> {
    const r = await this.query<PgAssertionRow>(`SELECT ${ASSERTION_COLUMNS} FROM assertions WHERE hash = $1`, [toKey(hash, HASH_BYTES, 'hash')]);
    return r[0] ? assertionFromPgRow(r[0]) : null;
  }

  /** Every assertion about `subject`, oldest first (createdAt, then hash); `after`: the last hash of the previous page. */
  async assertionsBySubject(subject: string, options: PageOptions = {}): Promise<StoredAssertion[]> {
    if (typeof subject !== 'string') throw argTypeError(`subject must be a string, got ${describeValue(subject)}`);
    return this.page('subject', subject, options, `about subject "${subject.slice(0, 80)}"`);
  }

  /** Assertions made in epoch `id`, oldest first; keyset pagination as assertionsBySubject. */
  async assertionsInEpoch(id: BytesLike, options: PageOptions = {}): Promise<StoredAssertion[]> {
    return this.page('epoch', toKey(id, EPOCH_ID_BYTES, 'epoch id'), options, 'in this epoch');
  }

  private async page(column: 'subject' | 'epoch', value: unknown, options: PageOptions, what: string): Promise<StoredAssertion[]> {
    const limit = checkLimit(options.limit);
    const sql = (where: string) => `SELECT ${ASSERTION_COLUMNS} FROM assertions WHERE ${column} = $1${where} ORDER BY created_at, hash LIMIT $2`;
    if (options.after === undefined) return (await this.query<PgAssertionRow>(sql(''), [value, limit])).map(assertionFromPgRow);
    const after = toKey(options.after, HASH_BYTES, 'after');
    const at = await this.query<{ created_at: number }>(`SELECT created_at FROM assertions WHERE hash = $1 AND ${column} = $2`, [after, value]);
    if (at.length === 0) throw argRangeError(`after: no assertion with that hash ${what}`, 'ERR_INVALID_ARG_VALUE');
    return (await this.query<PgAssertionRow>(sql(' AND (created_at, hash) > ($3, $4)'), [value, limit, at[0]!.created_at, after])).map(assertionFromPgRow);
  }

  /** Votes on the assertion (whether or not it has arrived yet), oldest first. */
  async votesFor(hash: BytesLike): Promise<StoredVote[]> {
    const r = await this.query<VoteRow>(
      'SELECT assertion, hash, voter, stance, weight, created_at, "offset" FROM votes WHERE assertion = $1 ORDER BY created_at, hash',
      [toKey(hash, HASH_BYTES, 'hash')],
    );
    return r.map(voteFromRow);
  }

  /** Weighted tally of the votes on an assertion, or null while the assertion has not been ingested. */
  async tally(hash: BytesLike, options: TallyOptions = {}): Promise<Tally | null> {
    const key = toKey(hash, HASH_BYTES, 'hash');
    const perVoter = options.perVoter ?? 'all';
    if (perVoter !== 'all' && perVoter !== 'latest')
      throw argRangeError(`perVoter must be 'all' or 'latest', got ${describeValue(perVoter)}`, 'ERR_INVALID_ARG_VALUE');
    const from =
      perVoter === 'all'
        ? 'votes WHERE assertion = $1'
        : `(SELECT stance, weight, row_number() OVER (PARTITION BY voter ORDER BY created_at DESC, hash DESC) AS rn
            FROM votes WHERE assertion = $1) v WHERE rn = 1`;
    const r = await this.query<{ present: boolean; support: number; oppose: number; votes: number }>(
      `SELECT EXISTS (SELECT 1 FROM assertions WHERE hash = $1) AS present,
              coalesce(sum(CASE WHEN stance > 0 THEN weight END), 0.0) AS support,
              coalesce(sum(CASE WHEN stance < 0 THEN weight END), 0.0) AS oppose,
              count(*) AS votes
         FROM ${from}`,
      [key],
    );
    const t = r[0]!;
    if (!t.present) return null;
    return { support: t.support, oppose: t.oppose, score: t.support - t.oppose, votes: t.votes };
  }

  async getEpoch(id: BytesLike): Promise<StoredEpoch | null> {
    const r = await this.query<{ id: Buffer; hash: Buffer; name: string; description: string; started_at: number; parent: Buffer | null; offset: number }>(
      'SELECT id, hash, name, description, started_at, parent, "offset" FROM epochs WHERE id = $1',
      [toKey(id, EPOCH_ID_BYTES, 'epoch id')],
    );
    const row = r[0];
    if (!row) return null;
    const e: StoredEpoch = { id: row.id, name: row.name, description: row.description, startedAt: row.started_at, hash: row.hash, offset: row.offset };
    if (row.parent !== null) e.parent = row.parent;
    return e;
  }

  /** Dead letters in offset order (per consumer); `after` is the last offset seen. */
  async deadLetters(options: { consumer?: string; limit?: number; after?: number } = {}): Promise<PgDeadLetter[]> {
    const consumer = checkConsumer(options.consumer ?? 'default');
    const limit = checkLimit(options.limit);
    const after = options.after ?? -1;
    if (typeof after !== 'number' || !Number.isFinite(after)) throw argTypeError(`after must be a number (an offset), got ${describeValue(after)}`);
    const r = await this.query<{ consumer: string; offset: number; code: PgDeadLetterCode; reason: string; payload: Buffer; hash: Buffer; created_at: number }>(
      `SELECT consumer, "offset", code, reason, payload, hash, created_at FROM dead_letters
        WHERE consumer = $1 AND "offset" > $2 ORDER BY "offset" LIMIT $3`,
      [consumer, after, limit],
    );
    return r.map((d) => ({
      consumer: d.consumer,
      offset: d.offset,
      code: d.code,
      reason: d.reason,
      payload: d.payload,
      hash: d.hash,
      createdAt: d.created_at,
    }));
  }

  /** Row counts (full counts: for tests and tools). */
  async counts(): Promise<StoreCounts> {
    const r = await this.query<StoreCounts>(
      `SELECT (SELECT count(*) FROM assertions) AS assertions, (SELECT count(*) FROM votes) AS votes,
              (SELECT count(*) FROM epochs) AS epochs, (SELECT count(*) FROM dead_letters) AS "deadLetters"`,
    );
    return r[0]!;
  }

  // ---------------------------------------------------------------------------

  private writable(): void {
    if (this.readonly) throw new StoreError('READONLY', 'store is open readonly');
  }

  private async connect(): Promise<PoolClient> {
    try {
      const client = await this.connections.connect();
      // A connection that breaks between two queries of a checked-out client emits 'error' on it;
      // unhandled, that would end the process. The next query on it fails and we discard it.
      if (client.listenerCount('error') === 0) client.on('error', () => undefined);
      return client;
    } catch (err) {
      throw wrap(err, 'CONNECT_FAILED', `cannot connect to ${this.target}`);
    }
  }

  /**
   * A read. The pool's connections may have gone stale while idle (the server restarted): each
   * fails its first query with a connection error and is discarded. The read is then retried on
   * another, at most once per connection the pool held, so a fresh one is made in the end.
   */
  private async query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    for (let stale = this.connections.totalCount; ; stale--) {
      const client = await this.connect();
      let broken: unknown;
      try {
        return (await client.query(sql, params)).rows as R[];
      } catch (err) {
        if (isConnectionError(err)) broken = err;
        if (broken && stale > 0) continue;
        throw wrap(err, 'CONNECTION_LOST', `query on ${this.target}`);
      } finally {
        client.release(broken as Error | undefined);
      }
    }
  }

  /**
   * Runs `fn` in a transaction; reruns it after a deadlock/serialization failure; a broken
   * connection is discarded. A stale pooled connection (see query()) failing its BEGIN is
   * retried as a read is: the server saw nothing of the transaction.
   */
  private async transaction<T>(fn: (client: PoolClient, now: number) => Promise<T>): Promise<T> {
    let stale = this.connections.totalCount;
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      let broken: unknown;
      let begun = false;
      try {
        await client.query('BEGIN');
        begun = true;
        const out = await fn(client, Date.now());
        await client.query('COMMIT');
        return out;
      } catch (err) {
        if (isConnectionError(err)) broken = err;
        else await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
        if (broken && !begun && stale-- > 0) continue;
        if (!broken && attempt < RETRIES && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw wrap(err, 'CONNECTION_LOST', `transaction on ${this.target} not committed`);
      } finally {
        client.release(broken as Error | undefined);
      }
    }
  }
}

/** The SQLite row, with `object` split into PostgreSQL's three typed columns. */
interface PgAssertionRow extends Omit<AssertionRow, 'object'> {
  object_text: string | null;
  object_number: number | null;
  object_bytes: Buffer | null;
}

const ASSERTION_COLUMNS =
  'hash, subject, predicate, object_kind, object_text, object_number, object_bytes, epoch, author, confidence, created_at, evidence, "offset"';

/** Through the SQLite row shape (one `object` column, read by object_kind): one mapping for both stores. */
function assertionFromPgRow(r: PgAssertionRow): StoredAssertion {
  return assertionFromRow({ ...r, object: r.object_text ?? r.object_number ?? r.object_bytes! });
}

function poolConfig(url: string | PgPoolConfig, options: PgStoreOptions): PoolConfig {
  const max = options.poolSize ?? 4;
  if (!Number.isSafeInteger(max) || max <= 0) throw argRangeError(`PgStore.open: poolSize must be a positive integer, got ${describeValue(max)}`);
  const connectionTimeoutMillis = options.connectTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(connectionTimeoutMillis) || connectionTimeoutMillis <= 0)
    throw argRangeError(`PgStore.open: connectTimeoutMs must be a positive integer, got ${describeValue(connectionTimeoutMillis)}`);
  if (typeof url === 'string') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw argTypeError(`PgStore.open: not a URL: ${JSON.stringify(url.slice(0, 200))} (expected postgres://user@host/db)`, 'ERR_INVALID_ARG_VALUE');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw argTypeError(`PgStore.open: expected a postgres:// or postgresql:// URL, got ${parsed.protocol}//...`, 'ERR_INVALID_ARG_VALUE');
    }
    return { connectionString: url, max, connectionTimeoutMillis };
  }
  if (!url || typeof url !== 'object') throw argTypeError(`PgStore.open: url must be a postgres:// URL or a pg PoolConfig, got ${describeValue(url)}`);
  return { ...(url as PoolConfig), max, connectionTimeoutMillis };
}

/** host/db for messages: never the password. */
function describe(config: PoolConfig): string {
  if (config.connectionString) {
    const u = new URL(config.connectionString);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${decodeURIComponent(u.host)}${u.pathname}`;
  }
  return `postgres://${config.user ? `${config.user}@` : ''}${config.host ?? 'localhost'}${config.port ? `:${config.port}` : ''}/${config.database ?? ''}`;
}
