/**
 * SQLite schema of the ingest store, versioned with `PRAGMA user_version`.
 *
 * MIGRATIONS[i] takes a database from user_version i to i + 1. `migrate`
 * applies every missing step in order inside ONE immediate transaction
 * (together with the new user_version), so a crash mid-migration leaves the
 * old version intact. Steps are append-only: never edit a released step, add
 * a new one.
 *
 * Column notes:
 * - `hash` columns are the BLAKE3-256 the journal stored for the payload.
 * - `object` has no declared type (so no affinity: values stay as bound) and
 *   `object_kind` says how to read it back: 0 string, 1 number, 2 boolean
 *   (stored 0/1), 3 bytes. Without the kind, `true` and `1` would be the same.
 * - `evidence` is a JSON array of strings, NULL when there is none.
 * - `offset` is the journal offset of the record (provenance; not unique
 *   across journals, so never a key).
 */
import type { SqliteDatabase as Database } from './sqlite/types.js';
import { argRangeError } from '../validate.js';
import { StoreError } from './errors.js';

export interface Migration {
  /** user_version after this step. */
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'assertions (+ subject index), votes, epochs, ingest cursors',
    up(db) {
      db.exec(`
        CREATE TABLE assertions (
          hash        BLOB    NOT NULL PRIMARY KEY,
          subject     TEXT    NOT NULL,
          predicate   TEXT    NOT NULL,
          object,
          object_kind INTEGER NOT NULL,
          epoch       BLOB    NOT NULL,
          author      TEXT    NOT NULL,
          confidence  REAL    NOT NULL,
          created_at  INTEGER NOT NULL,
          evidence    TEXT,
          offset      INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Every assertion of a subject, in (created_at, hash) order: the key
        -- of a WITHOUT ROWID table (hash) is part of every index entry.
        CREATE INDEX assertions_by_subject ON assertions (subject, created_at);

        CREATE TABLE votes (
          assertion   BLOB    NOT NULL,
          hash        BLOB    NOT NULL,
          voter       TEXT    NOT NULL,
          stance      INTEGER NOT NULL,
          weight      REAL    NOT NULL,
          created_at  INTEGER NOT NULL,
          offset      INTEGER NOT NULL,
          PRIMARY KEY (assertion, hash)
        ) WITHOUT ROWID;

        CREATE TABLE epochs (
          id          BLOB    NOT NULL PRIMARY KEY,
          hash        BLOB    NOT NULL,
          name        TEXT    NOT NULL,
          description TEXT    NOT NULL,
          started_at  INTEGER NOT NULL,
          parent      BLOB,
          offset      INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- next_offset: where the consumer reads next (moves in the same
        -- transaction as the rows). synced_offset: the last next_offset
        -- committed with synchronous=FULL, i.e. known to survive power loss;
        -- journal cleanup never goes past it.
        CREATE TABLE ingest_cursors (
          consumer      TEXT    NOT NULL PRIMARY KEY,
          next_offset   INTEGER NOT NULL,
          synced_offset INTEGER NOT NULL DEFAULT 0,
          updated_at    INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'dead letters; assertions by epoch',
    up(db) {
      db.exec(`
        CREATE TABLE dead_letters (
          consumer    TEXT    NOT NULL,
          offset      INTEGER NOT NULL,
          code        TEXT    NOT NULL,
          reason      TEXT    NOT NULL,
          payload     BLOB    NOT NULL,
          hash        BLOB    NOT NULL,
          created_at  INTEGER NOT NULL,
          PRIMARY KEY (consumer, offset)
        ) WITHOUT ROWID;

        CREATE INDEX assertions_by_epoch ON assertions (epoch, created_at);
      `);
    },
  },
  {
    version: 3,
    description: "journal identity of each cursor (cleanup floor per journal); existing cursors get 'default'",
    up(db) {
      // A cursor is an offset into ONE journal: journal cleanup may only compare
      // cursors of the same journal. Rows from before this step all read the one
      // unnamed journal, which is what 'default' means.
      db.exec(`
        ALTER TABLE ingest_cursors ADD COLUMN journal TEXT NOT NULL DEFAULT 'default';
        CREATE INDEX ingest_cursors_by_journal ON ingest_cursors (journal, next_offset);
      `);
    },
  },
];

/** The user_version this code writes and expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` up to `target` (default: the latest). Returns the versions
 * before and after. Throws if the database is newer than this code.
 */
export function migrate(db: Database, target: number = SCHEMA_VERSION): { from: number; to: number } {
  if (!Number.isInteger(target) || target < 0 || target > SCHEMA_VERSION) {
    throw argRangeError(`migration target must be an integer in [0, ${SCHEMA_VERSION}], got ${target}`);
  }
  const run = db.transaction(() => {
    // Re-read inside the (immediate) transaction: another process may have migrated meanwhile.
    const from = schemaVersion(db);
    if (from > SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_TOO_NEW', `database schema version ${from} is newer than this stemedb supports (${SCHEMA_VERSION}); upgrade stemedb`);
    }
    for (let v = from; v < target; v++) MIGRATIONS[v]!.up(db);
    if (target > from) db.pragma(`user_version = ${target}`);
    return { from, to: Math.max(from, target) };
  });
  return run.immediate();
}
