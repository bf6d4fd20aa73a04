/**
 * What recovery does once policy.ts has decided: cut a torn or damaged tail (keeping a
 * copy first), set later segments aside, make the recovered tail durable. Every removal
 * is made durable before the next step relies on it.
 */
import { join } from 'node:path';
import type { JournalIO } from '../../io/types.js';
import { StemeError, ioCode } from '../../errors.js';
import { TMP_SUFFIX, filePos } from '../../format/segment.js';
import type { Segment, SegmentManager } from '../segments.js';
import type { RecoveryOptions, RecoveryReport } from './types.js';
import { salvageWalk } from './scan.js';

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
    const at = filePos(tail, from);
    if (io.pread(tail.fd, bytes, at) !== bytes.length) throw new StemeError('EIO', `${tail.name}: short read while re-syncing the tail`);
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
export async function cutTail(io: JournalIO, mgr: SegmentManager, seg: Segment, at: number, opts: RecoveryOptions, report: RecoveryReport): Promise<void> {
  const bytes = seg.end - at;
  report.truncatedAt = at;
  report.bytesTruncated += bytes;
  if (opts.dryRun || bytes <= 0) {
    if (!opts.dryRun) seg.end = at;
    return;
  }
  const cut = new Uint8Array(bytes);
  io.pread(seg.fd, cut, filePos(seg, at));
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
    throw new StemeError(
      code,
      `recovery must cut ${bytes} bytes (a torn tail) at offset ${at} of ${seg.name} and first keeps a copy of them, but writing the copy failed (${code}${code === 'ENOSPC' ? ': the disk is full' : ''}); nothing was cut. Free space and open again; Journal.openReader() reads the durable records meanwhile`,
      { cause: err },
    );
  }
  io.close(kept.fd);
  const brokenName = kept.name;
  await io.fsyncDir(mgr.dir);
  report.brokenFiles.push(brokenName);
  io.truncate(seg.fd, filePos(seg, at));
  await io.fsync(seg.fd);
  seg.end = at;
}

/**
 * 'truncate' drops every segment after index i: each is renamed aside to
 * NAME.broken (not deleted) and its verifying records are counted as dropped.
 */
export async function setAsideLater(io: JournalIO, mgr: SegmentManager, i: number, opts: RecoveryOptions, report: RecoveryReport): Promise<number> {
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
    for (let pos = 0; pos < size; ) {
      const n = io.pread(seg.fd, buf.subarray(0, Math.min(buf.length, size - pos)), pos);
      if (n <= 0) throw new StemeError('EIO', `${seg.name}: short read while copying it`);
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
  mgr.files.close(seg); // Windows refuses to replace a file that is open; reopened below
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
