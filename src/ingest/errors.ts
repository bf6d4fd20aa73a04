/**
 * Typed errors of the ingest layer (StemeErrors: branch on `code`).
 *
 * `DecodeError` is the only thing `decodeRecord` ever throws: a payload that is
 * not a well-formed record is data, not a bug, and the ingestor turns it into a
 * dead letter (code + message) instead of stopping.
 */

import { StemeError } from '../errors.js';

/** A StemeError class whose constructor takes only the codes in C. */
function withCodes<C extends string>() {
  return class extends StemeError {
    declare readonly code: C;
    constructor(code: C, message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

export type DecodeErrorCode =
  /** Payload shorter than the 8-byte header, or the body ends inside a value. */
  | 'TRUNCATED'
  /** Bytes left over after the body's last field. */
  | 'OVERSIZED'
  /** The type byte is not Assertion (0), Vote (1) or Epoch (2). */
  | 'UNKNOWN_TYPE'
  /** One of the 7 reserved header bytes is not zero. */
  | 'BAD_PADDING'
  /**
   * The body is not valid MessagePack (the never-used byte 0xc1, an unknown
   * extension, too deep), or holds a value that would not be stored as
   * written: invalid UTF-8 in a string, a 64-bit integer beyond +-(2^53 - 1).
   */
  | 'MALFORMED'
  /** The body decodes, but a field is missing, extra, of the wrong type or out of range. */
  | 'BAD_FIELD';

export class DecodeError extends withCodes<DecodeErrorCode>() {}

export type IngestErrorCode =
  /** The stored cursor points below the lowest offset the journal still has: records were lost. */
  | 'CURSOR_GAP'
  /** start()/catchUp() while the ingestor is already running, or after close. */
  | 'BUSY'
  /** The source handed over a record that breaks its contract (offsets, hash size). */
  | 'BAD_SOURCE'
  /** The consumer's stored cursor belongs to another journal (a consumer name reused across journals): nothing was written. */
  | 'JOURNAL_MISMATCH';

export class IngestError extends withCodes<IngestErrorCode>() {}

export type StoreErrorCode =
  /** The file's schema (PRAGMA user_version) is newer than this stemedb: upgrade stemedb. Nothing in the file was changed. */
  | 'SCHEMA_TOO_NEW'
  /** A readonly open of a file whose schema is older: open it once without readonly to migrate it. */
  | 'SCHEMA_TOO_OLD'
  /** No usable SQLite driver (better-sqlite3 missing or unbuilt, no node:sqlite/bun:sqlite): the message names the fix. */
  | 'SQLITE_UNAVAILABLE'
  /** PgStore: the optional peer dependency pg is not installed (the message names the fix). */
  | 'PG_UNAVAILABLE'
  /** PgStore: the connection URL/config is unusable, or the server refused the connection or login (nothing was written). */
  | 'CONNECT_FAILED'
  /** PgStore: the connection broke during an operation; its transaction was not committed (or, if it broke during COMMIT, the cursor stored in the database says which). */
  | 'CONNECTION_LOST'
  /** PgStore: the server is older than PostgreSQL 13. */
  | 'SERVER_TOO_OLD'
  /** A write (applyBatch) to a store opened with `readonly: true`. */
  | 'READONLY';

export class StoreError extends withCodes<StoreErrorCode>() {}
