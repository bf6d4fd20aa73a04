/**
 * The one open-and-recover sequence, shared by Journal.open (a writer) and recover():
 * lock, remove temporaries, load the segments, read the watermark, recover, make the
 * tail durable, publish the end. Each step's order is part of crash safety (rules 1, 5,
 * 7): change it here, for both callers, or not at all.
 */
import { join } from 'node:path';
import type { JournalIO } from '../../io/types.js';
import { StemeError } from '../../errors.js';
import { encodeWatermark } from '../../format/watermark.js';
import { lockJournal, unlockJournal } from '../lock.js';
import { SegmentManager } from '../segments.js';
import { readWatermark, watermarkPath } from '../watermark.js';
import { removeStaleTemporaries } from '../durable-file.js';
import { CURSOR_DIR } from '../cursors.js';
import { retainBeforeRecovery, type ResolvedRetention } from '../retention.js';
import { makeTailDurable } from './actions.js';
import { recoverSegments } from './policy.js';
import type { RecoveryPolicy, RecoveryReport } from './types.js';

interface OpenRecoverOptions {
  /**
   * 'writer': Journal.open. Creates what is missing (directory, watermark file, first
   * segment), also removes stale ledger and cursor temporaries, and keeps everything open.
   * 'recover': recover(dir); 'dry-run': recover(dir, { dryRun }), which takes no lock and
   * changes nothing on disk. Both close what they opened before returning.
   */
  mode: 'writer' | 'recover' | 'dry-run';
  policy: RecoveryPolicy;
  verifyAll: boolean;
  maxOpenSegments?: number;
  onProgress?: (bytesScanned: number) => void;
  /** Writer: on a full disk, what retention lets go makes room for recovery's kept copy. */
  retain?: ResolvedRetention | null;
  now?: () => number;
}

/** A directory opened and recovered by a writer: what it holds until close. */
interface OpenedJournal {
  lock: number[];
  segments: SegmentManager;
  /** The watermark file, open read-write. */
  wmFd: number;
  report: RecoveryReport;
  /** The recovered end, durable and published. */
  end: number;
  /** Undoes the open when what follows it fails: closes everything, removes a watermark file it created, unlocks. */
  abandon(): void;
}

/** Opens `dir` as its writer and recovers it (Journal.open). */
export function openWriter(io: JournalIO, dir: string, options: Omit<OpenRecoverOptions, 'mode'>): Promise<OpenedJournal> {
  return openAndRecover(io, dir, { ...options, mode: 'writer' }) as Promise<OpenedJournal>;
}

/** Recovers `dir` (recover()): everything opened is closed again. */
export async function recoverDir(io: JournalIO, dir: string, options: OpenRecoverOptions): Promise<RecoveryReport> {
  if (!io.exists(dir)) throw new StemeError('ENOENT', `journal directory ${dir} does not exist`);
  return (await openAndRecover(io, dir, options)) as RecoveryReport;
}

async function openAndRecover(io: JournalIO, dir: string, o: OpenRecoverOptions): Promise<OpenedJournal | RecoveryReport> {
  const writer = o.mode === 'writer';
  const dryRun = o.mode === 'dry-run';
  if (writer) makeJournalDir(io, dir);
  const lock = dryRun ? [] : await lockJournal(io, dir);
  const segments = new SegmentManager(io, dir, !dryRun, o.maxOpenSegments);
  const wmPath = watermarkPath(dir);
  let wmFd = -1;
  let wmCreated = false;
  const release = (): void => {
    segments.closeAll();
    if (wmFd >= 0) io.close(wmFd);
    if (wmCreated) {
      try {
        io.unlink(wmPath); // a refused open leaves the directory as it found it
      } catch {
        // best effort: an empty watermark file reads as "no watermark"
      }
    }
    unlockJournal(io, lock);
    if (writer) io.release?.();
  };
  try {
    if (!dryRun) segments.removeTemporaries();
    if (writer) {
      removeStaleTemporaries(io, dir);
      removeStaleTemporaries(io, join(dir, CURSOR_DIR));
    }
    segments.load();
    const wmExisted = io.exists(wmPath);
    if (writer) {
      wmFd = io.open(wmPath, 'create');
      wmCreated = !wmExisted;
    } else if (wmExisted) {
      wmFd = io.open(wmPath, dryRun ? 'r' : 'rw');
    }
    const watermark = wmExisted ? readWatermark(io, wmFd) : null;
    if (writer && segments.segments.length === 0) await segments.create(0);
    const publish = async (value: number): Promise<void> => {
      if (wmFd >= 0) await io.writev(wmFd, [encodeWatermark(value)], 0, true);
    };
    const recover = () =>
      recoverSegments(io, segments, {
        policy: o.policy,
        dryRun,
        verifyAll: o.verifyAll,
        watermark,
        lowerWatermark: publish,
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
    let report: RecoveryReport;
    try {
      report = await recover();
    } catch (err) {
      // A full disk: what retention lets go makes room for recovery's kept copy.
      if (!writer || !o.retain || (err as { code?: unknown }).code !== 'ENOSPC') throw err;
      if ((await retainBeforeRecovery(io, dir, segments, o.retain, (o.now ?? Date.now)())).length === 0) throw err;
      report = await recover();
    }
    if (!dryRun && segments.last) {
      // Only data that is on disk may be called durable: re-sync what a killed or
      // failed writer left above the watermark, then publish the end.
      await makeTailDurable(io, segments, watermark);
      await publish(report.end);
    }
    if (!writer) {
      release();
      return report;
    }
    return { lock, segments, wmFd, report, end: report.end, abandon: release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Creates `dir` if missing. A path that exists but is not a directory is a typed
 * error (NOT_A_DIRECTORY), not the raw EEXIST/ENOTDIR of mkdir.
 */
function makeJournalDir(io: JournalIO, dir: string): void {
  try {
    io.mkdirp(dir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new StemeError('NOT_A_DIRECTORY', `journal path ${dir} exists but is not a directory`, { cause: err });
    throw err;
  }
}
