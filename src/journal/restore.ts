/**
 * Restore: a new journal made from a backup (or any closed journal directory), ending
 * at the backup's end or at an earlier record boundary `toOffset`.
 *
 * The backup is verified first (every record, as `stemedb verify` does; damage refuses
 * the restore), and `toOffset` must be where a record starts or the end: the records of
 * its segment are walked from the segment's base, and the walk must land on it exactly.
 * Only then is anything written: every file is copied (never linked, so the restored
 * journal shares nothing with the backup), into a directory renamed into place when
 * synced (copy-dir.ts). The restored journal's watermark says `toOffset`; opened, it
 * appends at `toOffset`.
 */
import { closeSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultIO } from '../io/index.js';
import { argTypeError, checkNonNegativeInteger, checkOptions, describe, keysOf } from '../validate.js';
import { OffsetError, StemeError } from '../errors.js';
import { FrameStatus } from '../format/frame.js';
import { filePos } from '../format/segment.js';
import { recover } from './recovery/recover.js';
import { walkChain } from './recovery/scan.js';
import { SegmentManager } from './segments.js';
import { checkDest } from './backup.js';
import { abandonDest, checkDestEmpty, copyPrefix, finishDest, openForCopy, startDest, writeWatermarkFile } from './copy-dir.js';

export interface RestoreOptions {
  /** Where the restored journal ends: a record boundary of the backup (default: its end). */
  toOffset?: number;
}

export interface RestoreResult {
  dest: string;
  firstOffset: number;
  /** The restored journal's end: appends continue here. */
  endOffset: number;
  segments: number;
  /** Records in the backup after endOffset, left out. */
  bytesLeftOut: number;
}

const RESTORE_OPTION_KEYS = keysOf<RestoreOptions>({ toOffset: true });

export async function restore(backupDir: string, dest: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  if (typeof backupDir !== 'string' || backupDir.length === 0) throw argTypeError(`backupDir must be a non-empty string, got ${describe(backupDir)}`);
  checkDest(dest);
  const o = checkOptions(options, RESTORE_OPTION_KEYS);
  const toOffset = o.toOffset === undefined ? undefined : checkNonNegativeInteger(o.toOffset, 'options.toOffset');
  checkDestEmpty(resolve(dest));
  if (!existsSync(backupDir) || !statSync(backupDir).isDirectory() || !readdirSync(backupDir).some((n) => n.endsWith('.wal'))) {
    throw new StemeError('NO_JOURNAL', `${backupDir} holds no journal (no segment files)`);
  }
  // Every record verified; a torn tail (a backup that was opened and written to) ends it.
  const report = await recover(backupDir, { dryRun: true, verifyAll: true });
  const end = report.end;
  const io = defaultIO();
  const mgr = new SegmentManager(io, backupDir, false);
  mgr.load();
  try {
    const first = mgr.first!.base;
    const to = toOffset ?? end;
    if (to < first || to > end) throw new OffsetError('NOT_RECORD_START', `offset ${to} is outside the backup (offsets ${first} to ${end})`);
    const seg = mgr.resolve(to)!;
    const walk = walkChain(io, seg, seg.base, to);
    if (walk.status !== FrameStatus.Ok || walk.stop !== to) {
      throw new OffsetError('NOT_RECORD_START', `offset ${to} is not a record boundary (in ${seg.name} the record at ${walk.stop} runs past it)`);
    }
    // Segments up to `to`; a segment starting at `to` is left out unless it is the first (an empty journal).
    const keep = mgr.segments.filter((s, i) => s.base < to || i === 0);
    const d = await startDest(dest);
    try {
      for (const s of keep) {
        const length = filePos(s, Math.min(s.end, to));
        const file = openForCopy(s.path);
        try {
          await copyPrefix(file.fd, s.path, join(d.work, s.name), length);
        } finally {
          closeSync(file.fd);
        }
      }
      await writeWatermarkFile(d.work, to);
      await finishDest(d);
    } catch (err) {
      abandonDest(d);
      throw err;
    }
    return { dest: d.dest, firstOffset: first, endOffset: to, segments: keep.length, bytesLeftOut: end - to };
  } finally {
    mgr.closeAll();
  }
}
