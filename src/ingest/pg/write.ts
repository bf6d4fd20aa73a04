/**
 * The write side of PgStore: one batch of journal records -> rows + the
 * consumer's cursor in ONE PostgreSQL transaction, one INSERT per table per
 * batch (arrays passed as parameters and expanded with unnest), so a batch is
 * a handful of round trips whatever its size.
 *
 * Same outcome as the SQLite BatchWriter, record for record: records below the
 * stored cursor are skipped, rows already present are duplicates (ON CONFLICT
 * DO NOTHING on the content key), undecodable payloads and conflicting epoch
 * redefinitions become dead letters. One more dead-letter reason exists here:
 * PostgreSQL text cannot hold U+0000, so a record with a NUL in a text field is
 * kept aside as 'NUL_IN_TEXT' instead of failing the batch forever.
 *
 * Several processes write at once: rows go in sorted by key, so two
 * transactions inserting overlapping keys wait for each other instead of
 * deadlocking, and a per-consumer advisory lock serializes two writers of the
 * same consumer (the cursor read and its update are one critical section).
 */
import type { PoolClient } from 'pg';
import { decodeRecord } from '../codec.js';
import { DecodeError, IngestError } from '../errors.js';
import { type Assertion, type Epoch, type Vote, HASH_BYTES, RecordType } from '../records.js';
import type { JournalRecord } from '../source.js';
import { type BatchResult, type DeadLetterCode, ObjectKind, checkJournal } from '../store-write.js';

/** dead_letters.code in a PgStore: the SQLite codes, plus NUL_IN_TEXT. */
export type PgDeadLetterCode = DeadLetterCode | 'NUL_IN_TEXT';

interface Dead {
  rec: JournalRecord;
  code: PgDeadLetterCode;
  reason: string;
}

interface Decoded {
  assertions: Array<{ a: Assertion; rec: JournalRecord }>;
  votes: Array<{ v: Vote; rec: JournalRecord }>;
  epochs: Array<{ e: Epoch; rec: JournalRecord }>;
  dead: Dead[];
}

/** Checks the source's contract; throws BAD_SOURCE like the SQLite writer. */
export function checkRecords(records: readonly JournalRecord[]): void {
  for (const { offset, next, hash, payload } of records) {
    if (!(next > offset) || !(hash instanceof Uint8Array) || hash.length !== HASH_BYTES || !(payload instanceof Uint8Array)) {
      throw new IngestError('BAD_SOURCE', `journal record at offset ${offset} is malformed (next ${next}, hash ${hash?.length} bytes)`);
    }
  }
}

/**
 * The records still to apply given the stored cursor (SQLite writer's rule):
 * those wholly below it were applied by an earlier transaction and are
 * skipped; any other step backwards is a BAD_SOURCE.
 */
function pending(records: readonly JournalRecord[], stored: number | undefined): { todo: JournalRecord[]; skipped: number; last: number } {
  const todo: JournalRecord[] = [];
  let skipped = 0;
  let last = stored ?? -1;
  for (const rec of records) {
    if (rec.offset < last) {
      if (stored !== undefined && rec.offset < stored && rec.next <= stored) {
        skipped++;
        continue;
      }
      throw new IngestError('BAD_SOURCE', `journal records out of order: offset ${rec.offset} after ${last}`);
    }
    last = rec.next;
    todo.push(rec);
  }
  return { todo, skipped, last };
}

const hasNul = (s: string | undefined) => s !== undefined && s.includes('\0');

function decodeAll(records: readonly JournalRecord[]): Decoded {
  const out: Decoded = { assertions: [], votes: [], epochs: [], dead: [] };
  for (const rec of records) {
    let d;
    try {
      d = decodeRecord(rec.payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      out.dead.push({ rec, code: err.code, reason: err.message });
      continue;
    }
    const nul = (fields: Array<string | undefined>) => {
      if (!fields.some(hasNul)) return false;
      out.dead.push({ rec, code: 'NUL_IN_TEXT', reason: 'a text field holds U+0000, which PostgreSQL text cannot store' });
      return true;
    };
    switch (d.type) {
      case RecordType.Assertion: {
        const a = d.record;
        if (!nul([a.subject, a.predicate, a.author, typeof a.object === 'string' ? a.object : undefined])) out.assertions.push({ a, rec });
        break;
      }
      case RecordType.Vote:
        if (!nul([d.record.voter])) out.votes.push({ v: d.record, rec });
        break;
      case RecordType.Epoch:
        if (!nul([d.record.name, d.record.description])) out.epochs.push({ e: d.record, rec });
        break;
    }
  }
  return out;
}

/** A float8 parameter as text: String(-0) would lose the sign. */
const num = (n: number) => (Object.is(n, -0) ? '-0' : String(n));
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** Unsigned bytewise order, as Buffer.compare and PostgreSQL's bytea (memcmp); no Buffer views allocated. */
function cmp(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** One array element of a PostgreSQL array literal: NULL, or double-quoted (bytea as \\x hex). */
function element(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `"\\\\x${v.toString('hex')}"`; // the escaped form of \x...
  const s = String(v);
  return /["\\]/.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

/** Column `col` of rows [lo, hi) as an array literal '{...}' (what pg would send for a JS array, built here so it is built before the query waits in the queue). */
function arrayLiteral(rows: unknown[][], col: number, lo: number, hi: number): string {
  const parts = new Array<string>(hi - lo);
  for (let i = lo; i < hi; i++) parts[i - lo] = element(rows[i]![col]);
  return `{${parts.join(',')}}`;
}

/** Rows per INSERT statement: a batch's statements are queued at once (see insertRows). */
const ROWS_PER_STATEMENT = 8192;

/**
 * INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING, rows in the
 * order given (callers sort by key: unnest yields array order). Returns the
 * number of rows inserted, and their `returning` values if asked.
 *
 * Large inputs go as several statements of ROWS_PER_STATEMENT rows, all
 * queued before the first answer: the server inserts one chunk while this
 * thread encodes the next. Same transaction, same key order; if one fails,
 * the transaction is aborted and the error is thrown once all have answered.
 */
async function insertRows(
  client: PoolClient,
  table: string,
  columns: Array<[name: string, type: string]>,
  rows: unknown[][],
  conflict: string,
  returning?: string,
): Promise<{ inserted: number; rows: Array<Record<string, unknown>> }> {
  if (rows.length === 0) return { inserted: 0, rows: [] };
  const sql = `INSERT INTO ${table} (${columns.map(([c]) => c).join(', ')})
     SELECT * FROM unnest(${columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
     ON CONFLICT (${conflict}) DO NOTHING${returning ? ` RETURNING ${returning}` : ''}`;
  const sent: Array<Promise<{ rowCount: number | null; rows: Array<Record<string, unknown>> }>> = [];
  for (let lo = 0; lo < rows.length; lo += ROWS_PER_STATEMENT) {
    const hi = Math.min(rows.length, lo + ROWS_PER_STATEMENT);
    // query() writes the first statement to the socket at once and queues the rest.
    sent.push(
      client.query(
        sql,
        columns.map((_, c) => arrayLiteral(rows, c, lo, hi)),
      ),
    );
  }
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const out = { inserted: 0, rows: [] as Array<Record<string, unknown>> };
  for (const r of settled as Array<PromiseFulfilledResult<{ rowCount: number | null; rows: Array<Record<string, unknown>> }>>) {
    out.inserted += r.value.rowCount ?? 0;
    for (const row of r.value.rows) out.rows.push(row);
  }
  return out;
}

function assertionRow(a: Assertion, rec: JournalRecord): unknown[] {
  const o = a.object;
  const kind =
    typeof o === 'string' ? ObjectKind.String : typeof o === 'number' ? ObjectKind.Number : typeof o === 'boolean' ? ObjectKind.Boolean : ObjectKind.Bytes;
  return [
    buf(rec.hash),
    a.subject,
    a.predicate,
    kind,
    typeof o === 'string' ? o : null,
    typeof o === 'number' ? num(o) : typeof o === 'boolean' ? (o ? '1' : '0') : null,
    o instanceof Uint8Array ? buf(o) : null,
    buf(a.epoch),
    a.author,
    num(a.confidence),
    String(a.createdAt),
    a.evidence === undefined ? null : JSON.stringify(a.evidence),
    String(rec.offset),
  ];
}

const ASSERTION_COLS: Array<[string, string]> = [
  ['hash', 'bytea'],
  ['subject', 'text'],
  ['predicate', 'text'],
  ['object_kind', 'smallint'],
  ['object_text', 'text'],
  ['object_number', 'float8'],
  ['object_bytes', 'bytea'],
  ['epoch', 'bytea'],
  ['author', 'text'],
  ['confidence', 'float8'],
  ['created_at', 'bigint'],
  ['evidence', 'text'],
  ['"offset"', 'bigint'],
];
const VOTE_COLS: Array<[string, string]> = [
  ['assertion', 'bytea'],
  ['hash', 'bytea'],
  ['voter', 'text'],
  ['stance', 'smallint'],
  ['weight', 'float8'],
  ['created_at', 'bigint'],
  ['"offset"', 'bigint'],
];
const EPOCH_COLS: Array<[string, string]> = [
  ['id', 'bytea'],
  ['hash', 'bytea'],
  ['name', 'text'],
  ['description', 'text'],
  ['started_at', 'bigint'],
  ['parent', 'bytea'],
  ['"offset"', 'bigint'],
];
const DEAD_COLS: Array<[string, string]> = [
  ['consumer', 'text'],
  ['"offset"', 'bigint'],
  ['code', 'text'],
  ['reason', 'text'],
  ['payload', 'bytea'],
  ['hash', 'bytea'],
  ['created_at', 'bigint'],
];

/** @internal
 * Applies `records` for `consumer` inside the caller's open transaction
 * (BEGIN already sent; the caller commits or rolls back).
 */
export async function applyInTransaction(
  client: PoolClient,
  consumer: string,
  records: readonly JournalRecord[],
  durable: boolean,
  now: number,
  journal: string,
): Promise<BatchResult> {
  // One writer per consumer at a time: the cursor read below and its update are one critical section.
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [consumer]);
  if (durable) await client.query('SET LOCAL synchronous_commit = on');
  const cur = await client.query<{ next_offset: number; journal: string }>('SELECT next_offset, journal FROM ingest_cursors WHERE consumer = $1', [consumer]);
  const row = cur.rows[0];
  checkJournal(consumer, row?.journal, journal);
  const stored = row?.next_offset;
  const { todo, skipped, last } = pending(records, stored);
  const d = decodeAll(todo);
  const result: BatchResult = { records: records.length, assertions: 0, votes: 0, epochs: 0, duplicates: 0, deadLetters: 0, skipped, cursor: stored ?? 0 };

  // Every transaction takes row locks table by table in this order, keys ascending.
  const epochs = [...d.epochs].sort((x, y) => cmp(x.e.id, y.e.id) || x.rec.offset - y.rec.offset);
  const inserted = new Set(
    (
      await insertRows(
        client,
        'epochs',
        EPOCH_COLS,
        epochs.map(({ e, rec }) => [buf(e.id), buf(rec.hash), e.name, e.description, String(e.startedAt), e.parent ? buf(e.parent) : null, String(rec.offset)]),
        'id',
        '"offset"',
      )
    ).rows.map((r) => Number(r.offset)),
  );
  result.epochs = inserted.size;
  const others = epochs.filter(({ rec }) => !inserted.has(rec.offset));
  if (others.length > 0) {
    const existing = await client.query<{ id: Buffer; hash: Buffer }>('SELECT id, hash FROM epochs WHERE id = ANY($1::bytea[])', [
      others.map(({ e }) => buf(e.id)),
    ]);
    const byId = new Map(existing.rows.map((r) => [r.id.toString('hex'), r.hash]));
    for (const { e, rec } of others) {
      const first = byId.get(buf(e.id).toString('hex'))!;
      if (cmp(first, rec.hash) === 0) result.duplicates++;
      // First definition wins; a different record reusing the id is kept aside, not lost.
      else
        d.dead.push({
          rec,
          code: 'EPOCH_CONFLICT',
          reason: `epoch id ${buf(e.id).toString('hex')} is already defined by another record (hash ${first.toString('hex')})`,
        });
    }
  }

  const assertions = [...d.assertions].sort((x, y) => cmp(x.rec.hash, y.rec.hash) || x.rec.offset - y.rec.offset);
  result.assertions = (
    await insertRows(
      client,
      'assertions',
      ASSERTION_COLS,
      assertions.map(({ a, rec }) => assertionRow(a, rec)),
      'hash',
    )
  ).inserted;
  result.duplicates += assertions.length - result.assertions;

  const votes = [...d.votes].sort((x, y) => cmp(x.v.assertion, y.v.assertion) || cmp(x.rec.hash, y.rec.hash) || x.rec.offset - y.rec.offset);
  result.votes = (
    await insertRows(
      client,
      'votes',
      VOTE_COLS,
      votes.map(({ v, rec }) => [buf(v.assertion), buf(rec.hash), v.voter, v.stance, num(v.weight), String(v.createdAt), String(rec.offset)]),
      'assertion, hash',
    )
  ).inserted;
  result.duplicates += votes.length - result.votes;

  const dead = [...d.dead].sort((x, y) => x.rec.offset - y.rec.offset);
  await insertRows(
    client,
    'dead_letters',
    DEAD_COLS,
    dead.map(({ rec, code, reason }) => [consumer, String(rec.offset), code, reason, buf(rec.payload), buf(rec.hash), String(now)]),
    'consumer, "offset"',
  );
  result.deadLetters = dead.length;

  const advance = last > (stored ?? -1);
  // Also when only the journal changes: a 'default' cursor adopting a name (see checkJournal).
  if (advance || (row !== undefined && row.journal !== journal)) {
    await client.query(
      `INSERT INTO ingest_cursors (consumer, next_offset, updated_at, journal) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at, journal = excluded.journal`,
      [consumer, String(advance ? last : stored), String(now), journal],
    );
    if (advance) result.cursor = last;
  }
  if (durable) await client.query('UPDATE ingest_cursors SET synced_offset = next_offset, updated_at = $2 WHERE consumer = $1', [consumer, String(now)]);
  return result;
}
