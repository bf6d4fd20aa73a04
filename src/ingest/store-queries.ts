/**
 * The store's read side: its prepared queries and the row -> object mapping
 * (split from store.ts, which keeps the API and the open/write paths).
 */
import type { AssertionObject, Stance } from './records.js';
import { ObjectKind } from './store-write.js';
import type { SqliteDatabase } from './sqlite/types.js';
import type { StoredAssertion, StoredVote } from './store.js';

export interface AssertionRow {
  hash: Buffer;
  subject: string;
  predicate: string;
  object: string | number | Buffer;
  object_kind: number;
  epoch: Buffer;
  author: string;
  confidence: number;
  created_at: number;
  evidence: string | null;
  offset: number;
}

const ASSERTION_COLUMNS = 'hash, subject, predicate, object, object_kind, epoch, author, confidence, created_at, evidence, offset';

export interface VoteRow {
  assertion: Buffer;
  hash: Buffer;
  voter: string;
  stance: number;
  weight: number;
  created_at: number;
  offset: number;
}
export interface EpochRow {
  id: Buffer;
  hash: Buffer;
  name: string;
  description: string;
  started_at: number;
  parent: Buffer | null;
  offset: number;
}
export interface DeadLetterRow {
  consumer: string;
  offset: number;
  code: string;
  reason: string;
  payload: Buffer;
  hash: Buffer;
  created_at: number;
}

export function prepareQueries(db: SqliteDatabase) {
  const page = (where: string) => db.prepare(`SELECT ${ASSERTION_COLUMNS} FROM assertions WHERE ${where} ORDER BY created_at, hash LIMIT ?`);
  return {
    cursor: db.prepare('SELECT next_offset FROM ingest_cursors WHERE consumer = ?').pluck(),
    cursors: db.prepare('SELECT consumer, journal, next_offset, synced_offset, updated_at FROM ingest_cursors ORDER BY consumer'),
    assertion: db.prepare(`SELECT ${ASSERTION_COLUMNS} FROM assertions WHERE hash = ?`),
    hasAssertion: db.prepare('SELECT 1 FROM assertions WHERE hash = ?').pluck(),
    bySubject: page('subject = ?'),
    bySubjectAfter: page('subject = ? AND (created_at, hash) > (?, ?)'),
    subjectAt: db.prepare('SELECT created_at FROM assertions WHERE hash = ? AND subject = ?').pluck(),
    byEpoch: page('epoch = ?'),
    byEpochAfter: page('epoch = ? AND (created_at, hash) > (?, ?)'),
    epochAt: db.prepare('SELECT created_at FROM assertions WHERE hash = ? AND epoch = ?').pluck(),
    votes: db.prepare('SELECT assertion, hash, voter, stance, weight, created_at, offset FROM votes WHERE assertion = ? ORDER BY created_at, hash'),
    tallyAll: db.prepare(
      `SELECT coalesce(sum(CASE WHEN stance > 0 THEN weight END), 0.0) AS support,
              coalesce(sum(CASE WHEN stance < 0 THEN weight END), 0.0) AS oppose,
              count(*) AS votes
         FROM votes WHERE assertion = ?`,
    ),
    tallyLatest: db.prepare(
      `SELECT coalesce(sum(CASE WHEN stance > 0 THEN weight END), 0.0) AS support,
              coalesce(sum(CASE WHEN stance < 0 THEN weight END), 0.0) AS oppose,
              count(*) AS votes
         FROM (SELECT stance, weight,
                      row_number() OVER (PARTITION BY voter ORDER BY created_at DESC, hash DESC) AS rn
                 FROM votes WHERE assertion = ?)
        WHERE rn = 1`,
    ),
    epoch: db.prepare('SELECT id, hash, name, description, started_at, parent, offset FROM epochs WHERE id = ?'),
    deadLetters: db.prepare(
      `SELECT consumer, offset, code, reason, payload, hash, created_at FROM dead_letters
        WHERE consumer = ? AND offset > ? ORDER BY offset LIMIT ?`,
    ),
    counts: db.prepare(
      `SELECT (SELECT count(*) FROM assertions) AS assertions, (SELECT count(*) FROM votes) AS votes,
              (SELECT count(*) FROM epochs) AS epochs, (SELECT count(*) FROM dead_letters) AS deadLetters`,
    ),
  };
}

export function rows(list: unknown[]): StoredAssertion[] {
  const out = new Array<StoredAssertion>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = assertionFromRow(list[i] as AssertionRow);
  return out;
}

export function assertionFromRow(r: AssertionRow): StoredAssertion {
  let object: AssertionObject;
  switch (r.object_kind) {
    case ObjectKind.Boolean:
      object = r.object !== 0;
      break;
    default:
      object = r.object; // string, number (REAL) or bytes (Buffer), as bound
  }
  const a: StoredAssertion = {
    subject: r.subject,
    predicate: r.predicate,
    object,
    epoch: r.epoch,
    author: r.author,
    confidence: r.confidence,
    createdAt: r.created_at,
    hash: r.hash,
    offset: r.offset,
  };
  if (r.evidence !== null) a.evidence = JSON.parse(r.evidence) as string[];
  return a;
}

export function voteFromRow(r: VoteRow): StoredVote {
  return {
    assertion: r.assertion,
    voter: r.voter,
    stance: r.stance as Stance,
    weight: r.weight,
    createdAt: r.created_at,
    hash: r.hash,
    offset: r.offset,
  };
}
