/**
 * recover(dir, options): the same recovery Journal.open runs, as a standalone
 * call (and the CLI's `recover`). Without dryRun it takes the writer lock,
 * since it may truncate; with dryRun it changes nothing on disk.
 */
import { join } from 'node:path';
import { defaultIO } from '../io/index.js';
import type { JournalIO } from '../io/types.js';
import { LockedError } from '../errors.js';
import { describe } from '../hash/validate.js';
import { LOCK_FILE } from './format.js';
import { RECOVERY_POLICIES, makeTailDurable, recoverSegments, type RecoveryPolicy, type RecoveryReport } from './recovery/index.js';
import { SegmentManager } from './segments.js';
import { encodeWatermark, readWatermark, watermarkPath } from './watermark.js';

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

export async function recover(dir: string, options: RecoverOptions = {}): Promise<RecoveryReport> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`dir must be a non-empty string, got ${describe(dir)}`);
  const policy = options.policy ?? 'tolerate-tail';
  if (!RECOVERY_POLICIES.includes(policy)) throw new RangeError(`policy must be one of ${RECOVERY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`);
  const dryRun = options.dryRun ?? false;
  const io = options.io ?? defaultIO();
  if (!io.exists(dir)) throw Object.assign(new Error(`journal directory ${dir} does not exist`), { code: 'ENOENT' });
  let lock = -1;
  if (!dryRun) {
    try {
      lock = io.lock(join(dir, LOCK_FILE));
    } catch (err) {
      if ((err as { code?: string }).code === 'ELOCKED') throw new LockedError(dir, err);
      throw err;
    }
  }
  const segments = new SegmentManager(io, dir, !dryRun);
  let wmFd = -1;
  try {
    if (!dryRun) segments.removeTemporaries();
    segments.load();
    const wmPath = watermarkPath(dir);
    if (io.exists(wmPath)) wmFd = io.open(wmPath, dryRun ? 'r' : 'rw');
    const watermark = wmFd >= 0 ? readWatermark(io, wmFd) : null;
    const publish = async (value: number) => {
      if (wmFd >= 0) await io.writev(wmFd, [encodeWatermark(value)], 0, true);
    };
    const report = await recoverSegments(io, segments, {
      policy, dryRun, verifyAll: options.verifyAll ?? false, watermark,
      lowerWatermark: publish,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (!dryRun && segments.last) {
      // As at open: what is above the old watermark is made durable before it is published.
      await makeTailDurable(io, segments, watermark);
      await publish(report.end);
    }
    return report;
  } finally {
    segments.closeAll();
    if (wmFd >= 0) io.close(wmFd);
    if (lock >= 0) io.unlock(lock);
  }
}
