/** stemedb: a crash-safe write-ahead log for Node.js, and an ingestor into SQLite. */
export { crc32c, blake3, blake3Async, createHasher, Blake3Hasher, hashFrames, verifyFrames, backend, backendInfo } from './hash/index.js';
export type { Blake3Options, FrameHashes, FrameCheck, FrameStopReason } from './hash/index.js';
export {
  Journal,
  type JournalStats,
  type IterateOptions,
  type FollowOptions,
  type IterateBatchesOptions,
  type FollowBatchesOptions,
} from './journal/journal.js';
export { JournalReader, type ReaderOptions } from './journal/read/journal-reader.js';
export type { JournalOptions } from './journal/options.js';
export type { Cursors, CursorInfo, CommitOptions } from './journal/cursors.js';
export type { RetentionOptions } from './journal/retention.js';
export type { SealedSegmentInfo } from './journal/ledger.js';
export type { CursorLag, RetentionResult, SegmentSealedHook } from './journal/maintenance.js';
export type { JournalRecord } from './journal/read/record-reader.js';
export type { CleanupResult, KeptSegment } from './journal/segments.js';
export type { AppendResult, Durability } from './journal/write/commit.js';
export { recover, type RecoverOptions } from './journal/recovery/recover.js';
export { backup, type BackupOptions, type BackupResult } from './journal/backup.js';
export { restore, type RestoreOptions, type RestoreResult } from './journal/restore.js';
export type { RecoveryPolicy, RecoveryReport, CorruptionEntry } from './journal/recovery/types.js';
export { StemeError, CorruptionError, SegmentFormatError, LockedError, ClosedError, JournalFailedError, OffsetError, AbortError } from './errors.js';
export type { JournalIO, PendingRead, WatermarkWrite } from './io/types.js';
export {
  Store,
  PgStore,
  Ingestor,
  RecordType,
  encodeAssertion,
  encodeVote,
  encodeEpoch,
  encodeRecord,
  decodeRecord,
  DecodeError,
  IngestError,
  StoreError,
} from './ingest/index.js';
export type {
  Assertion,
  Vote,
  Epoch,
  Stance,
  DecodedRecord,
  StoreOptions,
  PageOptions,
  StoredAssertion,
  StoredVote,
  StoredEpoch,
  Tally,
  IngestorOptions,
  IngestStats,
  IngestSource,
  IngestSink,
  PgStoreOptions,
  CleanupInfo,
  CleanupFloor,
} from './ingest/index.js';
export type { SqliteDatabase, SqliteDriverName } from './ingest/index.js';
