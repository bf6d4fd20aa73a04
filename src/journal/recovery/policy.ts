/**
 * Recovery: decides what a crash or damage left and applies the policy.
 *
 * Torn tail vs corruption. Only the end of the last segment can be torn. The
 * durable watermark (published only after an fdatasync returned) says how far
 * data was certainly acknowledged: bad bytes below it are damage to durable
 * data, i.e. corruption; bad bytes at or above it are the remains of an
 * interrupted, never-acknowledged write (a sector-torn batch can leave valid
 * frames after a hole), i.e. a torn tail. With no readable watermark the plain
 * rule applies: a bad record followed by a frame that verifies is corruption.
 * Anything bad in a sealed segment is corruption.
 */
import { join } from 'node:path';
import type { JournalIO } from '../../io/types.js';
import { CorruptionError, StemeError, ioCode, type CorruptionReason } from '../../errors.js';
import { FrameStatus, frameDamage } from '../../format/frame.js';
import { SEGMENT_HEADER, TMP_SUFFIX } from '../../format/segment.js';
import type { Gap, Segment, SegmentManager } from '../segments.js';
import { salvageWalk, walkChain } from './scan.js';
import { FrameFinder } from './find-frame.js';

export type RecoveryPolicy = 'tolerate-tail' | 'strict' | 'truncate' | 'salvage';
export const RECOVERY_POLICIES: readonly RecoveryPolicy[] = ['tolerate-tail', 'strict', 'truncate', 'salvage'];

export interface CorruptionEntry {
  segment: string;
  /** Byte position in the segment file. */
  position: number;
  /** Global offset. */
  offset: number;
  reason: CorruptionReason | string;
}

export interface RecoveryReport {
  policy: RecoveryPolicy;
  dryRun: boolean;
  /** Segment files in the journal. */
  segments: number;
  segmentsScanned: number;
  /** Records that verified in the scanned segments (after recovery's decisions). */
  recordsValid: number;
  bytesScanned: number;
  /** Global offset where data was (or, with dryRun, would be) cut; null if nothing was. */
  truncatedAt: number | null;
  bytesTruncated: number;
  /** Valid records thrown away ('truncate' policy). */
  recordsDropped: number;
  corruption: CorruptionEntry[];
  /** Regions skipped by 'salvage'. */
  gaps: Array<{ segment: string; from: number; to: number }>;
  /** Copies of cut bytes and segments set aside (rule 10). */
  brokenFiles: string[];
  /**
   * All-zero bytes after the last record of the tail segment: space the writer
   * preallocated, or writes that never reached the disk. A zero length is the end
   * of written data, so they are neither a torn tail nor corruption; they are cut off
   * without a copy (unless dryRun).
   */
  zeroTailBytes: number;
  /** The journal's end after recovery. */
  end: number;
}

export interface RecoveryOptions {
  policy: RecoveryPolicy;
  dryRun: boolean;
  verifyAll: boolean;
  /** Published durable watermark, or null when missing/unreadable. */
  watermark: number | null;
  /** Called after each stretch of verified bytes with the running total. */
  onProgress?: (bytesScanned: number) => void;
  /**
   * Durably lowers the published watermark. Called before recovery removes
   * bytes below it, so a crash mid-recovery never leaves a watermark above the
   * data (which the next open would take for lost acknowledged records).
   */
  lowerWatermark?: (value: number) => Promise<void>;
}

/** Runs recovery over loaded segments (the last one open read-write unless dryRun). */
export async function recoverSegments(io: JournalIO, mgr: SegmentManager, opts: RecoveryOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = {
    policy: opts.policy, dryRun: opts.dryRun, segments: mgr.segments.length, segmentsScanned: 0, recordsValid: 0,
    bytesScanned: 0, truncatedAt: null, bytesTruncated: 0, recordsDropped: 0, corruption: [], gaps: [], brokenFiles: [], zeroTailBytes: 0, end: 0,
  };
  const segs = mgr.segments;
  const first = opts.verifyAll ? 0 : Math.max(0, segs.length - 1);
  // The durable line; lowered (durably) before anything below it is removed.
  const lower = async (to: number) => {
    if (opts.watermark !== null && to < opts.watermark) {
      if (!opts.dryRun) await opts.lowerWatermark?.(to);
      opts.watermark = to; // with dryRun, only what this report reasons with
    }
  };
  for (let i = first; i < segs.length; i++) {
    const seg = segs[i]!;
    const isTail = i === segs.length - 1;
    report.segmentsScanned++;
    const fileEnd = seg.end;
    let pos = seg.base;
    // Read once, from the first bad byte, for every later check and search in this segment (linear in all).
    let finder: FrameFinder | undefined;
    for (;;) {
      const chain = walkChain(io, seg, pos, fileEnd);
      report.recordsValid += chain.records;
      report.bytesScanned += chain.bytesScanned;
      opts.onProgress?.(report.bytesScanned);
      if (chain.status === FrameStatus.Ok) break;
      const bad = chain.stop;
      finder ??= FrameFinder.read(io, seg, bad, fileEnd);
      if (isTail && finder.zerosFrom(bad)) {
        // Unwritten space, not damage (the writer keeps zeros ahead of its records).
        // Below the watermark it is still lost data: the check after the loop says so.
        report.zeroTailBytes = fileEnd - bad;
        seg.end = bad;
        break;
      }
      const reason = frameDamage(chain.status);
      const entry: CorruptionEntry = { segment: seg.name, position: SEGMENT_HEADER + bad - seg.base, offset: bad, reason };
      // At or above the watermark the tail is torn whatever follows: no search needed.
      const tornByWatermark = isTail && opts.watermark !== null && bad >= opts.watermark;
      const next = tornByWatermark ? -1 : finder.next(bad + 1);
      const torn = tornByWatermark || (isTail && opts.watermark === null && next < 0);
      report.corruption.push(entry);
      if (torn && opts.policy !== 'strict') {
        await cutTail(io, mgr, seg, bad, opts, report);
        break;
      }
      if (opts.policy === 'tolerate-tail' || opts.policy === 'strict') {
        const why = torn
          ? 'torn tail refused by the strict policy'
          : next >= 0
            ? `valid records follow at offset ${next}`
            : isTail
              ? `below the durable watermark ${opts.watermark}: acknowledged data is damaged`
              : 'in a sealed segment';
        throw new CorruptionError(seg.name, entry.position, reason, `offset ${bad}; ${why}`, 'choose-policy');
      }
      if (opts.policy === 'truncate') {
        await lower(bad);
        report.recordsDropped += next >= 0 ? salvageWalk(io, seg, next, fileEnd).records : 0;
        report.recordsDropped += await setAsideLater(io, mgr, i, opts, report);
        await cutTail(io, mgr, seg, bad, opts, report);
        return finish(mgr, report);
      }
      // salvage: skip the bad region, keep going from the next frame that verifies.
      const gap: Gap = { from: bad, to: next < 0 ? fileEnd : next };
      if (next < 0 && isTail) {
        await lower(bad);
        await cutTail(io, mgr, seg, bad, opts, report);
        break;
      }
      seg.gaps.push(gap);
      report.gaps.push({ segment: seg.name, ...gap });
      if (next < 0) break;
      pos = next;
    }
  }
  // A tail that ends cleanly below the watermark lost acknowledged records
  // (a cut at a record boundary, or a missing tail segment): never silent.
  const lastEnd = report.dryRun && report.truncatedAt !== null ? report.truncatedAt : mgr.last ? mgr.last.end : 0;
  if (opts.watermark !== null && lastEnd < opts.watermark) {
    const tail = mgr.last;
    const entry: CorruptionEntry = { segment: tail?.name ?? '(none)', position: tail ? SEGMENT_HEADER + lastEnd - tail.base : 0, offset: lastEnd, reason: 'missing data' };
    report.corruption.push(entry);
    if (opts.policy === 'tolerate-tail' || opts.policy === 'strict') {
      throw new CorruptionError(entry.segment, entry.position, 'missing data',
        `the journal ends at offset ${lastEnd} but the durable watermark says ${opts.watermark}: acknowledged records are missing`, 'accept-loss');
    }
    await lower(lastEnd);
  }
  if (report.zeroTailBytes > 0 && !opts.dryRun) {
    // The zeros go (durably) before the segment is used: it may be sealed next, and a
    // sealed segment holds nothing past its data. Zeros hold no data: no copy is kept.
    const tail = mgr.last!;
    io.truncate(tail.fd, SEGMENT_HEADER + tail.end - tail.base);
    await io.fsync(tail.fd);
  }
  return finish(mgr, report);
}

function finish(mgr: SegmentManager, report: RecoveryReport): RecoveryReport {
  report.segments = mgr.segments.length;
  report.end = report.dryRun && report.truncatedAt !== null ? report.truncatedAt : mgr.last ? mgr.last.end : 0;
  return report;
}

/**
 * Before a recovered end is published as durable: bytes above the old
 * watermark may exist only in the page cache (a killed writer's unsynced
 * batch, or pages a failed fsync marked clean), so they are written again and
 * synced; the directory is synced too (a kill between a segment's rename and
 * its directory fsync). Only the tail can hold such bytes: a segment is synced
 * before its successor is created.
 */
export async function makeTailDurable(io: JournalIO, mgr: SegmentManager, watermark: number | null): Promise<void> {
  const tail = mgr.last;
  if (!tail) return;
  const from = Math.min(Math.max(tail.base, watermark ?? tail.base), tail.end);
  if (tail.end > from) {
    const bytes = new Uint8Array(tail.end - from);
    const at = SEGMENT_HEADER + from - tail.base;
    if (io.pread(tail.fd, bytes, at) !== bytes.length) throw Object.assign(new Error(`${tail.name}: short read while re-syncing the tail`), { code: 'EIO' });
    await io.writev(tail.fd, [bytes], at, true);
  } else {
    await io.fsync(tail.fd);
  }
  await io.fsyncDir(mgr.dir);
}

/**
 * Cuts seg at global offset `at`: first a durable copy of the cut bytes beside
 * it (rule 10), then ftruncate and fsync (rule 5). dryRun only reports.
 */
async function cutTail(io: JournalIO, mgr: SegmentManager, seg: Segment, at: number, opts: RecoveryOptions, report: RecoveryReport): Promise<void> {
  const bytes = seg.end - at;
  report.truncatedAt = at;
  report.bytesTruncated += bytes;
  if (opts.dryRun || bytes <= 0) {
    if (!opts.dryRun) seg.end = at;
    return;
  }
  const cut = new Uint8Array(bytes);
  io.pread(seg.fd, cut, SEGMENT_HEADER + at - seg.base);
  // A name of its own, never an earlier copy's: the same offset can be cut again
  // (after a second crash there), and a kept copy must never be overwritten.
  let kept: { name: string; fd: number } | undefined;
  try {
    kept = createUnique(io, mgr.dir, `${seg.name}.broken-${at}`);
    await io.writev(kept.fd, [cut], 0, true);
  } catch (err) {
    // No copy, no cut (rule 10): on a full disk the open refuses, saying why, and changes nothing.
    if (kept) {
      io.close(kept.fd);
      try {
        io.unlink(join(mgr.dir, kept.name));
      } catch {
        // a partial copy left beside the segment is harmless: the segment itself is untouched
      }
    }
    const code = ioCode(err);
    throw new StemeError(code, `recovery must cut ${bytes} bytes (a torn tail) at offset ${at} of ${seg.name} and first keeps a copy of them, but writing the copy failed (${code}${code === 'ENOSPC' ? ': the disk is full' : ''}); nothing was cut. Free space and open again; Journal.openReader() reads the durable records meanwhile`, { cause: err });
  }
  io.close(kept.fd);
  const brokenName = kept.name;
  await io.fsyncDir(mgr.dir);
  report.brokenFiles.push(brokenName);
  io.truncate(seg.fd, SEGMENT_HEADER + at - seg.base);
  await io.fsync(seg.fd);
  seg.end = at;
}

/**
 * 'truncate' drops every segment after index i: each is renamed aside to
 * NAME.broken (not deleted) and its verifying records are counted as dropped.
 */
async function setAsideLater(io: JournalIO, mgr: SegmentManager, i: number, opts: RecoveryOptions, report: RecoveryReport): Promise<number> {
  let dropped = 0;
  const later = mgr.segments.slice(i + 1);
  if (!opts.dryRun && later.length > 0) await unshareSegment(io, mgr, mgr.segments[i]!);
  for (const s of later) {
    dropped += salvageWalk(io, s, s.base, s.end).records;
    report.bytesTruncated += s.end - s.base;
    if (!opts.dryRun) {
      mgr.files.close(s);
      const aside = unusedName(io, mgr.dir, `${s.name}.broken`);
      io.rename(s.path, join(mgr.dir, aside));
      report.brokenFiles.push(aside);
    }
  }
  if (!opts.dryRun && later.length > 0) {
    mgr.segments.splice(i + 1);
    await io.fsyncDir(mgr.dir);
    // The kept segment becomes the active one: it must be writable.
    mgr.reopenWritable(mgr.segments[i]!);
  }
  return dropped;
}

/**
 * A sealed segment about to become the tail (to be cut and appended to) is first
 * replaced by a private copy: temporary file, synced, renamed over it, directory synced.
 * A backup may hold a hard link to the sealed file (backup.ts): that inode never changes.
 * Done before anything is set aside, so a failure leaves the journal as it was.
 */
async function unshareSegment(io: JournalIO, mgr: SegmentManager, seg: Segment): Promise<void> {
  const tmp = seg.path + TMP_SUFFIX;
  const size = io.size(seg.fd);
  const fd = io.open(tmp, 'create-new');
  try {
    const buf = new Uint8Array(Math.max(1, Math.min(size, 4 << 20)));
    for (let pos = 0; pos < size;) {
      const n = io.pread(seg.fd, buf.subarray(0, Math.min(buf.length, size - pos)), pos);
      if (n <= 0) throw Object.assign(new Error(`${seg.name}: short read while copying it`), { code: 'EIO' });
      await io.writev(fd, [buf.subarray(0, n)], pos, false);
      pos += n;
    }
    await io.fsync(fd);
  } catch (err) {
    io.close(fd);
    io.unlink(tmp);
    throw err;
  }
  io.close(fd);
  io.rename(tmp, seg.path);
  await io.fsyncDir(mgr.dir);
  mgr.reopenWritable(seg);
}

/** `name`, or `name-2`, `name-3`, ...: the first that does not exist in `dir` (the writer lock keeps others out). */
function unusedName(io: JournalIO, dir: string, name: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    if (!io.exists(join(dir, candidate))) return candidate;
  }
}

/** Creates a new file named unusedName(dir, name), with O_EXCL so nothing existing is ever reused. */
function createUnique(io: JournalIO, dir: string, name: string): { name: string; fd: number } {
  for (;;) {
    const candidate = unusedName(io, dir, name);
    try {
      return { name: candidate, fd: io.open(join(dir, candidate), 'create-new') };
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
    }
  }
}
