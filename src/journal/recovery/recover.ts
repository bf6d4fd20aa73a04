/**
 * recover(dir, options): the same recovery Journal.open runs, as a standalone
 * call (and the CLI's `recover`). Without dryRun it takes the writer lock,
 * since it may truncate; with dryRun it changes nothing on disk.
 */
import { defaultIO } from '../../io/index.js';
import type { JournalIO } from '../../io/types.js';
import { argRangeError, argTypeError, checkOptions, describe, keysOf } from '../../validate.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../options.js';
import { MAX_RECORD_LIMIT } from '../../format/frame.js';
import { RECOVERY_POLICIES, type RecoveryPolicy, type RecoveryReport } from './types.js';
import { recoverDir } from './open.js';
import { hashBackend } from '../../hash/index.js';

export interface RecoverOptions {
  policy?: RecoveryPolicy;
  /** Report only; change nothing on disk (default false). */
  dryRun?: boolean;
  /** Verify every segment, not only the tail (default false). */
  verifyAll?: boolean;
  /** @deprecated Ignored: recovery accepts any frame that verifies and fits in its segment. */
  maxRecordBytes?: number;
  io?: JournalIO;
  /** Called as segments are verified, with the bytes scanned so far. */
  onProgress?: (bytesScanned: number) => void;
}

const RECOVER_OPTION_KEYS = keysOf<RecoverOptions>({ policy: true, dryRun: true, verifyAll: true, maxRecordBytes: true, io: true, onProgress: true });

export async function recover(dir: string, options: RecoverOptions = {}): Promise<RecoveryReport> {
  if (typeof dir !== 'string' || dir.length === 0) throw argTypeError(`dir must be a non-empty string, got ${describe(dir)}`);
  await hashBackend.ready(); // the wasm fallback's fast paths (first use: starts them, warns once)
  const o = checkOptions(options, RECOVER_OPTION_KEYS);
  const policy = o.policy ?? 'tolerate-tail';
  if (!RECOVERY_POLICIES.includes(policy as RecoveryPolicy)) {
    throw argRangeError(`options.policy must be one of ${RECOVERY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`, 'ERR_INVALID_ARG_VALUE');
  }
  const dryRun = booleanOption(o, 'dryRun');
  const verifyAll = booleanOption(o, 'verifyAll');
  const maxRecordBytes = o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (typeof maxRecordBytes !== 'number') throw argTypeError(`options.maxRecordBytes must be a number, got ${describe(maxRecordBytes)}`);
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 0 || maxRecordBytes > MAX_RECORD_LIMIT) {
    throw argRangeError(`options.maxRecordBytes must be an integer in [0, ${MAX_RECORD_LIMIT}], got ${maxRecordBytes}`);
  }
  const onProgress = o.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw argTypeError(`options.onProgress must be a function, got ${describe(onProgress)}`);
  if (o.io !== undefined && (typeof o.io !== 'object' || o.io === null)) throw argTypeError(`options.io must be a JournalIO object, got ${describe(o.io)}`);
  const io = (o.io as JournalIO | undefined) ?? defaultIO();
  return recoverDir(io, dir, {
    mode: dryRun ? 'dry-run' : 'recover',
    policy: policy as RecoveryPolicy,
    verifyAll,
    ...(onProgress ? { onProgress: onProgress as (bytesScanned: number) => void } : {}),
  });
}

function booleanOption(o: Record<string, unknown>, name: string): boolean {
  const v = o[name] ?? false;
  if (typeof v !== 'boolean') throw argTypeError(`options.${name} must be a boolean, got ${describe(v)}`);
  return v;
}
