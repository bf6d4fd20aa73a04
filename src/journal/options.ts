/** Journal options: defaults and readable checks. */
import type { JournalIO } from '../io/types.js';
import { argRangeError, argTypeError, checkOptions, describe, keysOf } from '../validate.js';
import { MAX_RECORD_LIMIT } from '../format/frame.js';
import type { Durability } from './write/commit.js';
import { DEFAULT_MAX_OPEN_SEGMENTS } from './segment-files.js';
import { resolveRetention, type ResolvedRetention, type RetentionOptions } from './retention.js';
import type { SegmentSealedHook } from './maintenance.js';
import { RECOVERY_POLICIES, type RecoveryPolicy } from './recovery/types.js';

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface JournalOptions {
  /** Rotate when the active segment would pass this size (default 64 MiB). */
  segmentBytes?: number;
  /** Larger payloads are refused with a RangeError (default 16 MiB). */
  maxRecordBytes?: number;
  /** 'group' (default), 'each' or 'none' (see docs/durability.md). */
  durability?: Durability;
  /** What open does with a damaged tail or corruption (default 'tolerate-tail'). */
  recovery?: RecoveryPolicy;
  /** Verify every segment at open, not only the tail (default false). */
  verifyAll?: boolean;
  /** 'none' mode: sync every this many ms; 0 disables the timer (default 1000). */
  syncIntervalMs?: number;
  /** A group-commit batch stops growing past this many bytes (default 8 MiB). */
  maxBatchBytes?: number;
  /** Wait this long before a batch goes out, to gather more appends (default 0). */
  maxDelayMicros?: number;
  /**
   * While a batch's write (and sync) is in flight, keep the event loop turning for about twice
   * the recent write time, at most this long, so its end is seen without a thread wake-up; 0: never (default 1000).
   */
  pollMicros?: number;
  /** Sync the durable-watermark file at most this often, this long after it changed; 0: only at open and close (default 1000). */
  watermarkSyncMs?: number;
  /** At most this many segment files are kept open; others are reopened when read (default 64). */
  maxOpenSegments?: number;
  /** Delete old sealed segments (whole segments only; see docs/operations.md). Default: keep everything. */
  retain?: RetentionOptions;
  /** Called after each segment is sealed, synced and entered in the ledger (to ship it elsewhere). Errors become process warnings. */
  onSegmentSealed?: SegmentSealedHook;
  /** The clock (ms since the epoch) for seal times, retention ages and cursor commit times (default Date.now). */
  clock?: () => number;
  /** The disk interface (default: the addon's, or node:fs without it). Tests plug in a simulated disk. */
  io?: JournalIO;
}

export interface ResolvedOptions {
  segmentBytes: number;
  maxRecordBytes: number;
  durability: Durability;
  recovery: RecoveryPolicy;
  verifyAll: boolean;
  syncIntervalMs: number;
  maxBatchBytes: number;
  maxDelayMicros: number;
  pollMicros: number;
  maxOpenSegments: number;
  watermarkSyncMs: number;
  retain: ResolvedRetention | null;
  onSegmentSealed: SegmentSealedHook | null;
  clock: () => number;
}

function intOption(o: Record<string, unknown>, name: string, dflt: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw argTypeError(`options.${name} must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) throw argRangeError(`options.${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function enumOption<T extends string>(o: Record<string, unknown>, name: string, allowed: readonly T[], dflt: T): T {
  const v = o[name];
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T))
    throw argRangeError(`options.${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`, 'ERR_INVALID_ARG_VALUE');
  return v as T;
}

/** Every key JournalOptions has: anything else is a misspelling (TypeError, ERR_INVALID_ARG_VALUE). */
const JOURNAL_OPTION_KEYS = keysOf<JournalOptions>({
  segmentBytes: true,
  maxRecordBytes: true,
  durability: true,
  recovery: true,
  verifyAll: true,
  syncIntervalMs: true,
  maxBatchBytes: true,
  maxDelayMicros: true,
  pollMicros: true,
  io: true,
  watermarkSyncMs: true,
  maxOpenSegments: true,
  retain: true,
  onSegmentSealed: true,
  clock: true,
});

function fnOption<T>(o: Record<string, unknown>, name: string): T | null {
  const v = o[name];
  if (v === undefined) return null;
  if (typeof v !== 'function') throw argTypeError(`options.${name} must be a function, got ${describe(v)}`);
  return v as T;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  const o = checkOptions(options, JOURNAL_OPTION_KEYS);
  const verifyAll = o.verifyAll ?? false;
  if (typeof verifyAll !== 'boolean') throw argTypeError(`options.verifyAll must be a boolean, got ${describe(verifyAll)}`);
  return {
    segmentBytes: intOption(o, 'segmentBytes', DEFAULT_SEGMENT_BYTES, 1024, Number.MAX_SAFE_INTEGER),
    maxRecordBytes: intOption(o, 'maxRecordBytes', DEFAULT_MAX_RECORD_BYTES, 0, MAX_RECORD_LIMIT),
    durability: enumOption(o, 'durability', ['group', 'each', 'none'] as const, 'group'),
    recovery: enumOption(o, 'recovery', RECOVERY_POLICIES, 'tolerate-tail'),
    verifyAll,
    syncIntervalMs: intOption(o, 'syncIntervalMs', 1000, 0, 2 ** 31 - 1),
    maxBatchBytes: intOption(o, 'maxBatchBytes', 8 << 20, 1, Number.MAX_SAFE_INTEGER),
    maxDelayMicros: intOption(o, 'maxDelayMicros', 0, 0, 10_000_000),
    pollMicros: intOption(o, 'pollMicros', 1000, 0, 1_000_000),
    watermarkSyncMs: intOption(o, 'watermarkSyncMs', 1000, 0, 2 ** 31 - 1),
    maxOpenSegments: intOption(o, 'maxOpenSegments', DEFAULT_MAX_OPEN_SEGMENTS, 2, 1 << 20),
    retain: resolveRetention(o.retain),
    onSegmentSealed: fnOption<SegmentSealedHook>(o, 'onSegmentSealed'),
    clock: fnOption<() => number>(o, 'clock') ?? Date.now,
  };
}
