/**
 * PostgreSQL schema of the ingest store: the same tables, keys and meaning as
 * the SQLite schema (../schema.ts), versioned in a one-row table
 * `stemedb_schema` (PostgreSQL has no user_version). Version numbers match the
 * SQLite steps: version N holds the same tables on both.
 *
 * Differences, all forced by PostgreSQL's types:
 * - `object` is three typed columns (object_text / object_number /
 *   object_bytes) chosen by `object_kind` (0 string, 1 number, 2 boolean as
 *   0/1 in object_number, 3 bytes): a column cannot hold all four.
 * - `offset` is a reserved word: always quoted.
 * - Integers are bigint (ms timestamps and byte offsets pass 2^31).
 *
 * `migratePg` runs every missing step in ONE transaction under an advisory
 * lock, so several processes opening the same database at once migrate it
 * exactly once and a crash mid-migration leaves the old version.
 */
import type { PoolClient } from 'pg';
import { argRangeError } from '../../validate.js';
import { StoreError } from '../errors.js';

export interface PgMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'assertions (+ subject index), votes, epochs, ingest cursors',
    sql: `
      CREATE TABLE assertions (
        hash          bytea            NOT NULL PRIMARY KEY,
        subject       text             NOT NULL,
        predicate     text             NOT NULL,
        object_kind   smallint         NOT NULL,
        object_text   text,
        object_number double precision,
        object_bytes  bytea,
        epoch         bytea            NOT NULL,
        author        text             NOT NULL,
        confidence    double precision NOT NULL,
        created_at    bigint           NOT NULL,
        evidence      text,
        "offset"      bigint           NOT NULL
      );
      CREATE INDEX assertions_by_subject ON assertions (subject, created_at, hash);
      CREATE TABLE votes (
        assertion  bytea            NOT NULL,
        hash       bytea            NOT NULL,
        voter      text             NOT NULL,
        stance     smallint         NOT NULL,
        weight     double precision NOT NULL,
        created_at bigint           NOT NULL,
        "offset"   bigint           NOT NULL,
        PRIMARY KEY (assertion, hash)
      );
      CREATE TABLE epochs (
        id          bytea  NOT NULL PRIMARY KEY,
        hash        bytea  NOT NULL,
        name        text   NOT NULL,
        description text   NOT NULL,
        started_at  bigint NOT NULL,
        parent      bytea,
        "offset"    bigint NOT NULL
      );
      CREATE TABLE ingest_cursors (
        consumer      text   NOT NULL PRIMARY KEY,
        next_offset   bigint NOT NULL,
        synced_offset bigint NOT NULL DEFAULT 0,
        updated_at    bigint NOT NULL
      );`,
  },
  {
    version: 2,
    description: 'dead letters; assertions by epoch',
    sql: `
      CREATE TABLE dead_letters (
        consumer   text   NOT NULL,
        "offset"   bigint NOT NULL,
        code       text   NOT NULL,
        reason     text   NOT NULL,
        payload    bytea  NOT NULL,
        hash       bytea  NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (consumer, "offset")
      );
      CREATE INDEX assertions_by_epoch ON assertions (epoch, created_at, hash);`,
  },
  {
    version: 3,
    description: "journal identity of each cursor (cleanup floor per journal); existing cursors get 'default'",
    // A cursor is an offset into ONE journal: cleanup compares cursors of the same journal only.
    sql: `
      ALTER TABLE ingest_cursors ADD COLUMN journal text NOT NULL DEFAULT 'default';
      CREATE INDEX ingest_cursors_by_journal ON ingest_cursors (journal, next_offset, consumer);`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** Advisory lock key of migrations (any fixed bigint; 'stemedb' in ASCII). */
const MIGRATION_LOCK = 0x7374656d656462n;

/** @internal The database's schema version; 0 for a database stemedb never touched. */
export async function pgSchemaVersion(client: PoolClient): Promise<number> {
  // A plain catalog query (statement snapshot), not to_regclass(): that reads the backend's cached
  // catalog snapshot and can miss a table another session created while we waited for the lock.
  const t = await client.query(`SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'stemedb_schema'`);
  if (t.rowCount === 0) return 0;
  const r = await client.query<{ version: number }>('SELECT version FROM stemedb_schema');
  return r.rows[0]?.version ?? 0;
}

export function tooNew(where: string, version: number): StoreError {
  return new StoreError('SCHEMA_TOO_NEW', `${where} has schema version ${version}, newer than this stemedb supports (${PG_SCHEMA_VERSION}); upgrade stemedb`);
}

/** @internal Brings the database to `target` (default: the latest) in one transaction; returns the versions before and after. */
export async function migratePg(client: PoolClient, target: number = PG_SCHEMA_VERSION): Promise<{ from: number; to: number }> {
  if (!Number.isInteger(target) || target < 0 || target > PG_SCHEMA_VERSION) {
    throw argRangeError(`migration target must be an integer in [0, ${PG_SCHEMA_VERSION}], got ${target}`);
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    // Read under the lock: another process may have migrated meanwhile.
    const from = await pgSchemaVersion(client);
    if (from > PG_SCHEMA_VERSION) throw tooNew('database', from);
    if (from === 0 && target > 0) {
      await client.query('CREATE TABLE stemedb_schema (version integer NOT NULL)');
      await client.query('INSERT INTO stemedb_schema VALUES (0)');
    }
    for (let v = from; v < target; v++) await client.query(PG_MIGRATIONS[v]!.sql);
    if (target > from) await client.query('UPDATE stemedb_schema SET version = $1', [target]);
    await client.query('COMMIT');
    return { from, to: Math.max(from, target) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
