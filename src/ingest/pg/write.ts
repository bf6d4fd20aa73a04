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
import { IngestError } from '../errors.js';
import type { JournalRecord } from '../source.js';
import { type BatchResult, checkJournal } from '../store-write.js';
import { type Dead, type ElementKind, type Literals, type PgBatch, cmp, element, prepareRecords } from './prepare.js';

export { type PgDeadLetterCode, PgBatch, checkRecords, prepareRecords, prepareRecordsSliced } from './prepare.js';

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

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** The INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING of a table. */
function insertSql(table: string, columns: Array<[name: string, type: string]>, conflict: string, returning?: string): string {
  return `INSERT INTO ${table} (${columns.map(([c]) => c).join(', ')})
     SELECT * FROM unnest(${columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
     ON CONFLICT (${conflict}) DO NOTHING${returning ? ` RETURNING ${returning}` : ''}`;
}

/**
 * Sends a table's statements (array literals already built, rows in key order: unnest yields
 * array order), all queued before the first answer. Same transaction, same key order; if one
 * fails, the transaction is aborted and the error is thrown once all have answered. Returns the
 * number of rows inserted, and their `returning` values if asked.
 */
async function insertLiterals(client: PoolClient, sql: string, lits: Literals): Promise<{ inserted: number; rows: Array<Record<string, unknown>> }> {
  if (lits.count === 0) return { inserted: 0, rows: [] };
  // query() writes the first statement to the socket at once and queues the rest.
  const settled = await Promise.allSettled(lits.chunks.map((values) => client.query(sql, values)));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const out = { inserted: 0, rows: [] as Array<Record<string, unknown>> };
  for (const r of settled as Array<PromiseFulfilledResult<{ rowCount: number | null; rows: Array<Record<string, unknown>> }>>) {
    out.inserted += r.value.rowCount ?? 0;
    for (const row of r.value.rows) out.rows.push(row);
  }
  return out;
}

/** Literals of a few rows built here, in the transaction (epochs, dead letters). */
function rowLiterals(rows: unknown[][], kinds: ElementKind[]): Literals {
  if (rows.length === 0) return { count: 0, chunks: [] };
  return { count: rows.length, chunks: [kinds.map((k, c) => `{${rows.map((r) => element(r[c], k)).join(',')}}`)] };
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

const SQL = {
  assertions: insertSql('assertions', ASSERTION_COLS, 'hash'),
  votes: insertSql('votes', VOTE_COLS, 'assertion, hash'),
  epochs: insertSql('epochs', EPOCH_COLS, 'id', '"offset"'),
  dead: insertSql('dead_letters', DEAD_COLS, 'consumer, "offset"'),
};
const EPOCH_KINDS: ElementKind[] = ['bytea', 'bytea', 'text', 'text', 'int', 'bytea', 'int'];
const DEAD_KINDS: ElementKind[] = ['text', 'int', 'text', 'text', 'bytea', 'bytea', 'int'];

/** @internal
 * Applies a prepared batch for `consumer` inside the caller's open transaction
 * (BEGIN already sent; the caller commits or rolls back). Only round trips
 * here, unless the stored cursor shows that records were applied already (or
 * the source handed them out of order): then the records still to apply are
 * prepared again, here, as they always were before batches were prepared ahead.
 */
export async function applyInTransaction(
  client: PoolClient,
  consumer: string,
  batch: PgBatch,
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
  const records = batch.records;
  let d = batch;
  let skipped = 0;
  let last = stored ?? -1;
  if (records.length > 0 && batch.ordered && (stored === undefined || records[0]!.offset >= stored)) {
    last = records[records.length - 1]!.next; // pending() would keep every record
  } else {
    const p = pending(records, stored);
    skipped = p.skipped;
    last = p.last;
    d = prepareRecords(p.todo);
  }
  const result: BatchResult = { records: records.length, assertions: 0, votes: 0, epochs: 0, duplicates: 0, deadLetters: 0, skipped, cursor: stored ?? 0 };
  const dead: Dead[] = [...d.dead];

  // Every transaction takes row locks table by table in this order, keys ascending.
  const epochs = d.epochs;
  const inserted = new Set(
    (
      await insertLiterals(
        client,
        SQL.epochs,
        rowLiterals(
          epochs.map(({ e, rec }) => [e.id, rec.hash, e.name, e.description, e.startedAt, e.parent ?? null, rec.offset]),
          EPOCH_KINDS,
        ),
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
        dead.push({
          rec,
          code: 'EPOCH_CONFLICT',
          reason: `epoch id ${buf(e.id).toString('hex')} is already defined by another record (hash ${first.toString('hex')})`,
        });
    }
  }

  result.assertions = (await insertLiterals(client, SQL.assertions, d.assertions)).inserted;
  result.duplicates += d.assertions.count - result.assertions;
  result.votes = (await insertLiterals(client, SQL.votes, d.votes)).inserted;
  result.duplicates += d.votes.count - result.votes;

  dead.sort((x, y) => x.rec.offset - y.rec.offset);
  await insertLiterals(
    client,
    SQL.dead,
    rowLiterals(
      dead.map(({ rec, code, reason }) => [consumer, rec.offset, code, reason, rec.payload, rec.hash, now]),
      DEAD_KINDS,
    ),
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
