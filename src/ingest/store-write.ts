/**
 * The write side of the store: one batch of journal records -> rows + the
 * consumer's cursor, in ONE SQLite transaction. Statements are prepared once.
 */
import type { SqliteDatabase as Database, SqliteStatement as Statement, SqliteTransaction as Transaction } from './sqlite/types.js';
import { decodeRecord } from './codec.js';
import { ROW_HASH, ROW_OFFSET, ROW_VALUES } from './assertion-row.js';
import { fastAssertionRow } from './read-thread/scanned.js';
import { DecodeError, IngestError } from './errors.js';
import { type Assertion, type Epoch, type Vote, HASH_BYTES, RecordType } from './records.js';
import type { JournalRecord } from './source.js';

/** What one applied batch did. */
export interface BatchResult {
  /** Records looked at (including dead letters and already-applied ones). */
  records: number;
  /** New rows. */
  assertions: number;
  votes: number;
  epochs: number;
  /** Records whose row was already there (same hash; replays, duplicate appends). */
  duplicates: number;
  /** Records that went to dead_letters (undecodable, or an epoch id reused with other content). */
  deadLetters: number;
  /** Records below the stored cursor (already applied by an earlier transaction): ignored. */
  skipped: number;
  /** The consumer's cursor after the batch (the `next` of its last record). */
  cursor: number;
}

/** Code stored in dead_letters.code: a DecodeError code, or 'EPOCH_CONFLICT'. */
export type DeadLetterCode = DecodeError['code'] | 'EPOCH_CONFLICT';

/** The slowest cursor among the consumers of one journal: how far that journal's cleanup may go. */
export interface CleanupFloor {
  /** The consumer of the journal with the lowest cursor (ties: the first by name). */
  consumer: string;
  /** Its next offset: nothing at or above it may be cleaned up. */
  next: number;
  /** The journal identity the floor was computed for (the asking consumer's). */
  journal: string;
}

/** The journal identity of a cursor written without one (and of every cursor from before schema v3). */
export const DEFAULT_JOURNAL = 'default';

/**
 * A consumer's cursor is an offset into ONE journal. A cursor stored under
 * the default journal may adopt a name (a store from before journal ids, or
 * an ingestor that just got the option); any other change means the consumer
 * name is being reused for another journal, whose offsets mean something else.
 */
export function checkJournal(consumer: string, stored: string | undefined, journal: string): void {
  if (stored !== undefined && stored !== journal && stored !== DEFAULT_JOURNAL) {
    throw new IngestError(
      'JOURNAL_MISMATCH',
      `consumer "${consumer}" reads journal "${stored}", not "${journal}": give each journal's ingestor its own consumer name`,
    );
  }
}

/**
 * Assertion rows per INSERT statement on the fast path: fewer statement executions per row
 * (measured 1.14x for 16 rows, 1.11x for 64, benches/ingest-sqlite.ts).
 */
const ROWS_PER_INSERT = 16;

/** Kind stored in assertions.object_kind. */
export const ObjectKind = { String: 0, Number: 1, Boolean: 2, Bytes: 3 } as const;

export class BatchWriter {
  private readonly insAssertion: Statement;
  private readonly insVote: Statement;
  private readonly insEpoch: Statement;
  private readonly epochHash: Statement;
  private readonly insDead: Statement;
  private readonly getCursor: Statement;
  private readonly getCursorRow: Statement;
  private readonly setCursor: Statement;
  private readonly markSynced: Statement;
  private readonly slowest: Statement;
  /** ROWS_PER_INSERT assertion rows at once (the fast path's). */
  private readonly insAssertions: Statement;
  /** Bind values of the fast path's rows waiting for insAssertions, reused batch after batch. */
  private readonly rows: unknown[] = new Array<unknown>(ROWS_PER_INSERT * ROW_VALUES).fill(null);
  private pending = 0;
  private readonly txn: Transaction<(consumer: string, records: readonly JournalRecord[], now: number, durable: boolean, journal: string) => BatchResult>;

  constructor(private readonly db: Database) {
    this.insAssertion = db.prepare(
      `INSERT OR IGNORE INTO assertions
         (hash, subject, predicate, object, object_kind, epoch, author, confidence, created_at, evidence, offset)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insAssertions = db.prepare(
      `INSERT OR IGNORE INTO assertions
         (hash, subject, predicate, object, object_kind, epoch, author, confidence, created_at, evidence, offset)
       VALUES ${Array<string>(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.insVote = db.prepare(
      `INSERT OR IGNORE INTO votes (assertion, hash, voter, stance, weight, created_at, offset)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insEpoch = db.prepare(
      `INSERT OR IGNORE INTO epochs (id, hash, name, description, started_at, parent, offset)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.epochHash = db.prepare(`SELECT hash FROM epochs WHERE id = ?`).pluck();
    this.insDead = db.prepare(
      `INSERT OR IGNORE INTO dead_letters (consumer, offset, code, reason, payload, hash, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getCursor = db.prepare(`SELECT next_offset FROM ingest_cursors WHERE consumer = ?`).pluck();
    this.getCursorRow = db.prepare(`SELECT next_offset, journal FROM ingest_cursors WHERE consumer = ?`);
    this.setCursor = db.prepare(
      `INSERT INTO ingest_cursors (consumer, next_offset, updated_at, journal) VALUES (?, ?, ?, ?)
       ON CONFLICT (consumer) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at, journal = excluded.journal`,
    );
    this.markSynced = db.prepare(`UPDATE ingest_cursors SET synced_offset = next_offset, updated_at = ? WHERE consumer = ?`);
    // Only cursors of the asking consumer's journal: offsets of different journals are not comparable.
    this.slowest = db.prepare(
      `SELECT consumer, next_offset AS next, journal FROM ingest_cursors
       WHERE journal = (SELECT journal FROM ingest_cursors WHERE consumer = ?) ORDER BY next_offset, consumer LIMIT 1`,
    );
    this.txn = db.transaction((consumer: string, records: readonly JournalRecord[], now: number, durable: boolean, journal: string) => {
      const result = this.applyInTxn(consumer, records, now, journal);
      if (durable) this.markSynced.run(now, consumer);
      return result;
    });
  }

  /** Stored cursor of `consumer`, or undefined when it has none yet. */
  cursor(consumer: string): number | undefined {
    return this.getCursor.get(consumer) as number | undefined;
  }

  /**
   * Applies `records` (ascending offsets) for `consumer` in one transaction.
   * With `durable`, the commit is made with synchronous=FULL, so it (and every
   * commit before it) survives power loss; the cursor's synced_offset is set.
   */
  apply(consumer: string, records: readonly JournalRecord[], durable = false, journal = DEFAULT_JOURNAL): BatchResult {
    if (!durable) return this.txn.immediate(consumer, records, Date.now(), false, journal);
    return this.synced(() => this.txn.immediate(consumer, records, Date.now(), true, journal));
  }

  /**
   * Makes the consumer's current cursor durable (a write committed with
   * synchronous=FULL) and returns it, or undefined if it has no cursor.
   */
  syncCursor(consumer: string): number | undefined {
    return this.syncCursorAndFloor(consumer)?.cursor;
  }

  /**
   * syncCursor, plus the slowest cursor of the consumers of the same journal,
   * read in the same synced transaction. Each cursor it sees was committed before it,
   * and the WAL is one log, so its fsync makes all of them durable too: none
   * of them can be taken back by a power loss once this returns.
   */
  syncCursorAndFloor(consumer: string): { cursor: number; floor: CleanupFloor } | undefined {
    return this.synced(() => {
      const run = this.db.transaction(() => {
        this.markSynced.run(Date.now(), consumer);
        const cursor = this.cursor(consumer);
        return cursor === undefined ? undefined : { cursor, floor: this.slowest.get(consumer) as CleanupFloor };
      });
      return run.immediate();
    });
  }

  private synced<T>(fn: () => T): T {
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    if (before >= 2) return fn(); // already FULL (2) or EXTRA (3)
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }

  private applyInTxn(consumer: string, records: readonly JournalRecord[], now: number, journal: string): BatchResult {
    const row = this.getCursorRow.get(consumer) as { next_offset: number; journal: string } | undefined;
    checkJournal(consumer, row?.journal, journal);
    const stored = row?.next_offset;
    const result: BatchResult = {
      records: records.length,
      assertions: 0,
      votes: 0,
      epochs: 0,
      duplicates: 0,
      deadLetters: 0,
      skipped: 0,
      cursor: stored ?? 0,
    };
    let last = stored ?? -1;
    this.pending = 0; // a failed batch may have left rows behind (its transaction rolled back)
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      const { offset, next, hash, payload } = rec;
      if (!(next > offset) || !(hash instanceof Uint8Array) || hash.length !== HASH_BYTES || !(payload instanceof Uint8Array)) {
        throw new IngestError('BAD_SOURCE', `journal record at offset ${offset} is malformed (next ${next}, hash ${hash?.length} bytes)`);
      }
      if (offset < last) {
        if (stored !== undefined && offset < stored && next <= stored) {
          result.skipped++; // applied by an earlier transaction (e.g. a second ingestor on this consumer)
          continue;
        }
        throw new IngestError('BAD_SOURCE', `journal records out of order: offset ${offset} after ${last}`);
      }
      last = next;
      this.applyOne(consumer, rec, now, result);
    }
    this.flushRows(result);
    this.rows.fill(null); // no hold on the batch's memory after it
    if (last > (stored ?? -1)) {
      this.setCursor.run(consumer, last, now, journal);
      result.cursor = last;
    } else if (row !== undefined && row.journal !== journal) {
      this.setCursor.run(consumer, row.next_offset, now, journal); // adopts the name (see checkJournal)
    }
    return result;
  }

  private applyOne(consumer: string, rec: JournalRecord, now: number, result: BatchResult): void {
    const at = this.pending * ROW_VALUES;
    if (fastAssertionRow(rec, this.rows, at)) {
      this.rows[at + ROW_HASH] = rec.hash;
      this.rows[at + ROW_OFFSET] = rec.offset;
      if (++this.pending === ROWS_PER_INSERT) this.flushRows(result);
      return;
    }
    let decoded;
    try {
      decoded = decodeRecord(rec.payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.deadLetter(consumer, rec, err.code, err.message, now, result);
      return;
    }
    switch (decoded.type) {
      case RecordType.Assertion:
        this.assertion(decoded.record, rec, result);
        return;
      case RecordType.Vote:
        this.vote(decoded.record, rec, result);
        return;
      case RecordType.Epoch:
        this.epoch(decoded.record, consumer, rec, now, result);
        return;
    }
  }

  /** Inserts the fast path's waiting rows: one statement for a full set, else row by row. */
  private flushRows(result: BatchResult): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    let inserted = 0;
    if (n === ROWS_PER_INSERT) {
      inserted = Number(this.insAssertions.run(...this.rows).changes);
    } else {
      for (let k = 0; k < n; k++) inserted += Number(this.insAssertion.run(...this.rows.slice(k * ROW_VALUES, (k + 1) * ROW_VALUES)).changes);
    }
    result.assertions += inserted;
    result.duplicates += n - inserted; // INSERT OR IGNORE: a row not inserted had its hash there already
  }

  private assertion(a: Assertion, rec: JournalRecord, result: BatchResult): void {
    const o = a.object;
    let value: string | number | Uint8Array;
    let kind: number;
    switch (typeof o) {
      case 'string':
        value = o;
        kind = ObjectKind.String;
        break;
      case 'number':
        value = o;
        kind = ObjectKind.Number;
        break;
      case 'boolean':
        value = o ? 1 : 0;
        kind = ObjectKind.Boolean;
        break;
      default:
        value = o;
        kind = ObjectKind.Bytes;
    }
    const ev = a.evidence;
    const changes = this.insAssertion.run(
      rec.hash,
      a.subject,
      a.predicate,
      value,
      kind,
      a.epoch,
      a.author,
      a.confidence,
      a.createdAt,
      ev === undefined ? null : JSON.stringify(ev),
      rec.offset,
    ).changes;
    if (changes === 0) result.duplicates++;
    else result.assertions++;
  }

  private vote(v: Vote, rec: JournalRecord, result: BatchResult): void {
    const changes = this.insVote.run(v.assertion, rec.hash, v.voter, v.stance, v.weight, v.createdAt, rec.offset).changes;
    if (changes === 0) result.duplicates++;
    else result.votes++;
  }

  private epoch(e: Epoch, consumer: string, rec: JournalRecord, now: number, result: BatchResult): void {
    const changes = this.insEpoch.run(e.id, rec.hash, e.name, e.description, e.startedAt, e.parent ?? null, rec.offset).changes;
    if (changes !== 0) {
      result.epochs++;
      return;
    }
    const existing = this.epochHash.get(e.id) as Buffer;
    if (Buffer.compare(existing, rec.hash) === 0) {
      result.duplicates++;
      return;
    }
    // First definition wins; a different record reusing the id is kept aside, not lost.
    this.deadLetter(
      consumer,
      rec,
      'EPOCH_CONFLICT',
      `epoch id ${Buffer.from(e.id).toString('hex')} is already defined by another record (hash ${existing.toString('hex')})`,
      now,
      result,
    );
  }

  private deadLetter(consumer: string, rec: JournalRecord, code: DeadLetterCode, reason: string, now: number, result: BatchResult): void {
    this.insDead.run(consumer, rec.offset, code, reason, rec.payload, rec.hash, now);
    result.deadLetters++;
  }
}
