/**
 * Backup: a copy of a journal up to its durable end, taken while a writer appends.
 *
 * What is copied is fixed when the backup starts: the durable end E (the writer's
 * durableOffset, or the published watermark when read from outside), and the segments
 * with a base at or below E, each opened at once (a segment cleaned up later stays
 * readable through its descriptor). Everything below E was covered by an fdatasync, so
 * the copy holds every record acknowledged before the backup began and no torn bytes.
 *
 * Hard links. Only a segment with a successor is linked: a segment is cut back to its
 * data and synced before its successor is created (GroupCommit.trimActive), and from then
 * on the writer only reads or unlinks it. The one in-place change of such a file would be
 * recovery's 'truncate' policy making it the tail again; recovery first replaces it with a
 * private copy (recovery/actions.ts, unshareSegment), so a linked inode never changes. The
 * copy's last segment is always copied, never linked: opening the copy makes it the
 * active segment, which is appended to. A link is checked to be the very inode opened
 * at the start (a name could have been replaced), and its size must be exactly its data.
 *
 * The active segment is copied up to E exactly: no preallocated zeros, nothing torn. The
 * copy gets a watermark file saying E, and BACKUP.json (written last) describes it. The
 * whole is built beside DEST and renamed into place when synced (copy-dir.ts).
 */
import { closeSync, readdirSync, readSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultIO } from '../io/index.js';
import { argRangeError, argTypeError, checkOptions, describe, keysOf } from '../validate.js';
import { CorruptionError, StemeError } from '../errors.js';
import { hashBackend } from '../hash/index.js';
import { SEGMENT_HEADER, dataEnd, decodeSegmentHeader, filePos, parseSegmentName } from '../format/segment.js';
import { readWatermark, watermarkPath } from './watermark.js';
import { CopyPace, abandonDest, copyPrefix, finishDest, openForCopy, startDest, writeDurable, writeWatermarkFile } from './copy-dir.js';

const MANIFEST_FILE = 'BACKUP.json';

export interface BackupOptions {
  /** Hard-link sealed segments where the filesystem allows (default true); false copies every byte. */
  link?: boolean;
  /** Called as bytes are copied, with the running total. */
  onProgress?: (bytesCopied: number) => void;
  /**
   * Copies at most this many bytes per second on average (default 32 MiB/s; Infinity:
   * as fast as the disk goes); each sync of a new small file or directory counts as
   * one MiB. The copy's writes and syncs share the disk with the writer's fdatasyncs:
   * durable appends ran at 0.33x their rate during an unpaced copy, 0.69-0.88x paced
   * at 64 MiB/s and 0.97-1.37x at 32 MiB/s (benches/backup.ts; docs/operations.md).
   */
  maxBytesPerSecond?: number;
}

/** The default pace of a backup's copy (see BackupOptions.maxBytesPerSecond). */
export const DEFAULT_BACKUP_BYTES_PER_SECOND = 32 << 20;

export interface BackupResult {
  /** The backup directory (absolute). */
  dest: string;
  firstOffset: number;
  /** The durable end when the backup began: the copy ends exactly here. */
  endOffset: number;
  segments: number;
  /** Segments hard-linked rather than copied. */
  linked: number;
  bytesCopied: number;
}

const BACKUP_OPTION_KEYS = keysOf<BackupOptions>({ link: true, onProgress: true, maxBytesPerSecond: true });

interface SourceSegment {
  name: string;
  base: number;
  path: string;
}

interface PlannedSegment extends SourceSegment {
  /** Global offset where the copy of this segment ends. */
  end: number;
  /** Has a successor in the source: synced, immutable, linkable. */
  sealed: boolean;
  fd: number;
  ino: number;
  dev: number;
  size: number;
}

interface ResolvedBackupOptions {
  link: boolean;
  onProgress: ((bytesCopied: number) => void) | undefined;
  maxBytesPerSecond: number;
}

export function resolveBackupOptions(options: unknown): ResolvedBackupOptions {
  const o = checkOptions(options ?? {}, BACKUP_OPTION_KEYS);
  const link = o.link ?? true;
  if (typeof link !== 'boolean') throw argTypeError(`options.link must be a boolean, got ${describe(link)}`);
  const onProgress = o.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw argTypeError(`options.onProgress must be a function, got ${describe(onProgress)}`);
  const rate = o.maxBytesPerSecond ?? DEFAULT_BACKUP_BYTES_PER_SECOND;
  if (typeof rate !== 'number') throw argTypeError(`options.maxBytesPerSecond must be a number, got ${describe(rate)}`);
  if (!(rate > 0)) throw argRangeError(`options.maxBytesPerSecond must be > 0 (Infinity: no limit), got ${rate}`);
  return { link, onProgress: onProgress as ResolvedBackupOptions['onProgress'], maxBytesPerSecond: rate };
}

export function checkDest(dest: unknown, name = 'dest'): string {
  if (typeof dest !== 'string' || dest.length === 0) throw argTypeError(`${name} must be a non-empty string, got ${describe(dest)}`);
  return dest;
}

/**
 * The segments to copy for durable end `end`, each opened now (synchronously, so a
 * writer in this process cannot delete one in between): every segment up to the
 * last one whose base is at or below `end`.
 */
export function planBackup(source: readonly SourceSegment[], end: number): PlannedSegment[] {
  const sorted = source.map(({ name, base, path }) => ({ name, base, path })).sort((a, b) => a.base - b.base);
  const count = sorted.filter((s) => s.base <= end).length;
  if (count === 0) throw new StemeError('SOURCE_CHANGED', `no segment holds the durable end ${end} (first base ${sorted[0]?.base ?? 'none'})`);
  const plan: PlannedSegment[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = sorted[i]!;
      const sealed = i < count - 1;
      const segEnd = sealed ? sorted[i + 1]!.base : end;
      const file = openForCopy(s.path);
      plan.push({ ...s, end: segEnd, sealed, ...file });
      const header = Buffer.alloc(SEGMENT_HEADER);
      const n = readSync(file.fd, header, 0, SEGMENT_HEADER, 0);
      const { base } = decodeSegmentHeader(header.subarray(0, n), s.name);
      if (base !== s.base) throw new CorruptionError(s.name, 0, 'bad segment header', `header says base ${base}`);
      if (file.size < filePos(s, segEnd)) {
        throw new CorruptionError(
          s.name,
          file.size,
          'missing data',
          `the file ends at offset ${dataEnd(s.base, file.size)}, below ${segEnd} (${sealed ? "the next segment's base" : 'the durable end'})`,
        );
      }
    }
  } catch (err) {
    closePlan(plan);
    throw err;
  }
  return plan;
}

/** Closes the plan's files, each once (-1 marks a closed one: a number closed twice could be another file's by then). */
function closePlan(plan: readonly PlannedSegment[]): void {
  for (const s of plan) {
    if (s.fd < 0) continue;
    const fd = s.fd;
    s.fd = -1;
    try {
      closeSync(fd);
    } catch {
      // nothing more to do for it
    }
  }
}

/** Copies (or links) the planned segments into a new directory `dest`; closes the plan's files. */
export async function writeBackup(sourceDir: string, plan: PlannedSegment[], end: number, dest: string, opts: ResolvedBackupOptions): Promise<BackupResult> {
  let linked = 0;
  let bytesCopied = 0;
  const pace = new CopyPace(opts.maxBytesPerSecond);
  try {
    const d = await startDest(dest, pace);
    try {
      for (const s of plan) {
        const target = join(d.work, s.name);
        const length = filePos(s, s.end);
        if (opts.link && s.sealed && s.size === length && (await linkSame(s, target))) {
          linked++;
          continue;
        }
        await copyPrefix(
          s.fd,
          s.path,
          target,
          length,
          (n) => {
            bytesCopied += n;
            opts.onProgress?.(bytesCopied);
          },
          pace,
        );
      }
      await writeWatermarkFile(d.work, end, pace);
      const manifest = {
        format: 'stemedb-backup',
        version: 1,
        source: resolve(sourceDir),
        createdAt: new Date().toISOString(),
        firstOffset: plan[0]!.base,
        endOffset: end,
        segments: plan.map((s) => ({ name: s.name, base: s.base, end: s.end })),
      };
      await writeDurable(join(d.work, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', pace);
      await finishDest(d);
    } catch (err) {
      closePlan(plan); // first: on Windows an open file cannot be removed with the work directory
      abandonDest(d);
      throw err;
    }
    return { dest: d.dest, firstOffset: plan[0]!.base, endOffset: end, segments: plan.length, linked, bytesCopied };
  } finally {
    closePlan(plan);
  }
}

/** Hard-links s to target if the filesystem allows and the name still is the file opened at plan time. */
async function linkSame(s: PlannedSegment, target: string): Promise<boolean> {
  try {
    await fsp.link(s.path, target);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOENT') return false;
    throw err;
  }
  const st = await fsp.stat(target);
  if (st.ino === s.ino && st.dev === s.dev) return true;
  await fsp.unlink(target);
  return false;
}

/**
 * Backs up the journal in `dir` from outside: takes no lock and writes nothing there, so
 * it works beside a writer in another process, or with none. It copies up to the
 * published durable watermark (a journal closed cleanly: its end; a killed writer's: what
 * it had synced), so nothing a crash could take back is copied.
 */
export async function backup(dir: string, dest: string, options: BackupOptions = {}): Promise<BackupResult> {
  if (typeof dir !== 'string' || dir.length === 0) throw argTypeError(`dir must be a non-empty string, got ${describe(dir)}`);
  checkDest(dest);
  const opts = resolveBackupOptions(options);
  await hashBackend.ready();
  for (let attempt = 1; ; attempt++) {
    const end = publishedWatermark(dir);
    const source = listSegments(dir);
    try {
      if (end === null)
        throw new StemeError(
          'NO_WATERMARK',
          `${dir}: the durable watermark file is unreadable; open the journal once (it runs recovery and rewrites it), then back up`,
        );
      return await writeBackup(dir, planBackup(source, end), end, dest, opts);
    } catch (err) {
      // The writer rewrote the watermark or cleaned up a segment between the two looks: look again.
      const code = (err as { code?: unknown }).code;
      const retry = code === 'ENOENT' || code === 'SOURCE_CHANGED' || code === 'NO_WATERMARK';
      if (!retry || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  }
}

function publishedWatermark(dir: string): number | null {
  const io = defaultIO();
  let fd: number;
  try {
    fd = io.open(watermarkPath(dir), 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT')
      throw new StemeError('NO_JOURNAL', `${dir} holds no journal (no durable watermark file)`, { cause: err });
    throw err;
  }
  try {
    return readWatermark(io, fd);
  } finally {
    io.close(fd);
  }
}

function listSegments(dir: string): SourceSegment[] {
  if (!statSync(dir).isDirectory()) throw new StemeError('NOT_A_DIRECTORY', `journal path ${dir} is not a directory`);
  const out: SourceSegment[] = [];
  for (const name of readdirSync(dir)) {
    const base = parseSegmentName(name);
    if (base !== null) out.push({ name, base, path: join(dir, name) });
  }
  return out;
}
