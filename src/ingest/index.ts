export {
  RecordType,
  EPOCH_ID_BYTES,
  HASH_BYTES,
  validateAssertion,
  validateVote,
  validateEpoch,
  type Assertion,
  type AssertionObject,
  type Vote,
  type Stance,
  type Epoch,
  type DecodedRecord,
} from './records.js';
export { HEADER_BYTES, encodeAssertion, encodeVote, encodeEpoch, encodeRecord, decodeRecord, peekRecordType } from './codec.js';
export { DecodeError, IngestError, StoreError, type DecodeErrorCode, type IngestErrorCode, type StoreErrorCode } from './errors.js';
export { toKey, toHex, type BytesLike } from '../bytes.js';
export type { JournalRecord, IngestSource } from './source.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration } from './schema.js';
export { ObjectKind, DEFAULT_JOURNAL, type BatchResult, type CleanupFloor, type DeadLetterCode } from './store-write.js';
export {
  Store,
  type StoreOptions,
  type PageOptions,
  type StoredAssertion,
  type StoredVote,
  type StoredEpoch,
  type Tally,
  type TallyOptions,
  type CursorInfo,
  type ApplyBatchOptions,
  type DeadLetter,
  type StoreCounts,
} from './store.js';
export type { SqliteDatabase, SqliteDriverName, SqliteStatement, SqliteTransaction } from './sqlite/types.js';
export type { IngestSink, Awaitable, PreparedBatch } from './sink.js';
export {
  PgStore,
  PG_BATCH_SIZE,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  type PgStoreOptions,
  type PgDeadLetter,
  type PgMigration,
  type PgDeadLetterCode,
  type PgPool,
  type PgPoolConfig,
  type PgQueryResult,
} from './pg/index.js';
export { Ingestor, DEFAULT_BATCH_SIZE, type IngestorOptions, type CleanupOptions, type CleanupInfo, type IngestStats } from './ingestor.js';
