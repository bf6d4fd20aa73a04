/**
 * Building a journal directory elsewhere (backup, restore) so that a crash at any
 * instant never leaves something that looks complete: everything is written into
 * DEST.partial-<pid>-<run> beside DEST, every file and the directory are fsynced, and
 * only then is it renamed to DEST (and DEST's parent fsynced). A killed run leaves only a
 * `.partial-<pid>-<run>` directory, removed by the next run once that pid is gone.
 *
 * Plain node:fs on the libuv pool, one request at a time: a copy never takes more than
 * one pool thread from the writer's syncs. It syncs every chunk (1 MiB) it writes: on
 * ext4 a writer's fdatasync waits for the journal commit, which first writes out the
 * dirty data of every file with newly allocated blocks, the copy's included; with 8 MiB
 * between syncs appends ran at 0.49x their rate during an unpaced copy, with 1 MiB at
 * 0.45-0.85x (benches/backup.ts, a loaded machine). A CopyPace spaces the chunks out to
 * a byte rate, and counts each sync of a new small file or a directory (a filesystem
 * journal commit and a cache flush, as costly to the writer as a chunk) as one chunk.
 */
import { closeSync, existsSync, fstatSync, openSync, read, readdirSync, rmSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { StemeError } from '../errors.js';
import { WATERMARK_FILE, encodeWatermark } from '../format/watermark.js';
import { defaultIO } from '../io/index.js';
import { processAlive } from '../io/process-alive.js';

const readAt = promisify(read);
const CHUNK = 1 << 20;

/**
 * Spaces a copy's chunks so that it moves at most `bytesPerSecond` on average since it
 * began (Infinity: no waiting). One pace is shared by all the files of one backup.
 */
export class CopyPace {
  /** What one metadata sync counts for: a chunk's worth of bytes (see the head comment). */
  static readonly SYNC_COST = CHUNK;
  readonly #start = performance.now();
  #bytes = 0;
  constructor(readonly bytesPerSecond: number) {}
  /** Counts `n` bytes done and waits until the rate allows the next. */
  async after(n: number): Promise<void> {
    this.#bytes += n;
    if (this.bytesPerSecond === Infinity) return;
    const wait = this.#start + (this.#bytes / this.bytesPerSecond) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** A destination being built: `work` is renamed to `dest` by finish(). */
interface DestDir {
  dest: string;
  work: string;
  /** Paces the directory syncs of finishDest() (and, passed on, the files' syncs). */
  pace: CopyPace | undefined;
}

/** The DESTs this process is writing now (a second run into one of them is DEST_BUSY). */
const busy = new Set<string>();
/** Numbers this process's work directories (a failed run's may outlive it: see abandonDest). */
let runs = 0;

/**
 * Checks that `dest` is absent or an empty directory (else DEST_NOT_EMPTY), removes what
 * earlier runs left beside it (dead processes', and this process's own failed runs'), and
 * creates a work directory of its own. Nothing is written to `dest` itself until finish().
 */
export async function startDest(dest: string, pace?: CopyPace): Promise<DestDir> {
  const abs = resolve(dest);
  // Checked and taken before the first await, so that a second call now is DEST_BUSY.
  if (busy.has(abs)) throw new StemeError('DEST_BUSY', `this process is already writing ${abs}`);
  const parent = dirname(abs);
  const prefix = `${basename(abs)}.partial-`;
  if (existsSync(parent)) sweepLeftovers(parent, prefix); // also when DEST is refused below: they are garbage either way
  checkDestEmpty(abs);
  busy.add(abs);
  try {
    await fsp.mkdir(parent, { recursive: true });
    let work = join(parent, `${prefix}${process.pid}-${++runs}`);
    // Taken only if a process with this pid before us left one that could not be removed.
    while (!(await makeDir(work))) work = join(parent, `${prefix}${process.pid}-${++runs}`);
    return { dest: abs, work, pace };
  } catch (err) {
    busy.delete(abs);
    throw err;
  }
}

/** mkdir; false if it exists. */
async function makeDir(path: string): Promise<boolean> {
  try {
    await fsp.mkdir(path);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes `<prefix><pid>[-<run>]` directories of processes that are gone, and this process's
 * own (no run of it into this DEST is going on: startDest checked). Best effort: on Windows a
 * failed run's hard links can stay pinned while the journal holds those segments open; a later
 * run removes them.
 */
function sweepLeftovers(parent: string, prefix: string): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isSafeInteger(pid) || (pid !== process.pid && processAlive(pid))) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
    } catch {
      // still pinned (see above): its name is not reused, so it is in nobody's way
    }
  }
}

/** DEST_NOT_EMPTY unless `dest` is missing or an empty directory. */
export function checkDestEmpty(dest: string): void {
  if (!existsSync(dest)) return;
  if (!statSync(dest).isDirectory()) throw new StemeError('DEST_NOT_EMPTY', `${dest} exists and is not a directory`);
  if (readdirSync(dest).length > 0) throw new StemeError('DEST_NOT_EMPTY', `${dest} exists and is not empty; give a new or empty directory`);
}

/**
 * Syncs the work directory, renames it to dest and syncs the parent. The rename is atomic, also
 * over an empty dest, except on Windows, which cannot rename a directory over another: there an
 * empty dest is removed first (a crash between the two leaves no dest and the work directory,
 * which the next run removes). If the parent's sync fails, dest is in place and whole (every
 * file and the directory were synced) but the rename may not survive a crash: DEST_NOT_DURABLE,
 * with the OS error as its cause, rather than the bare error a failure before the rename gives.
 */
export async function finishDest(d: DestDir): Promise<void> {
  await syncDir(d.work, d.pace);
  try {
    if (process.platform === 'win32' && existsSync(d.dest)) await fsp.rmdir(d.dest); // fails unless empty
    await fsp.rename(d.work, d.dest);
    busy.delete(d.dest);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR')
      throw new StemeError('DEST_NOT_EMPTY', `${d.dest} was filled while it was being written`, { cause: err });
    throw err;
  }
  try {
    await syncDir(dirname(d.dest), d.pace);
  } catch (err) {
    throw new StemeError(
      'DEST_NOT_DURABLE',
      `${d.dest} is complete, but syncing its parent directory failed (${(err as Error).message}): a crash may still undo the rename and leave no ${basename(d.dest)}`,
      { cause: err },
    );
  }
}

/**
 * Removes the work directory of a failed run (best effort: the next run into the same DEST
 * removes it too). On Windows, files still open anywhere cannot go at once: close the
 * sources first; a hard link to a segment the journal holds open stays until it closes it.
 */
export function abandonDest(d: DestDir): void {
  busy.delete(d.dest);
  try {
    rmSync(d.work, { recursive: true, force: true });
  } catch {
    // left for the next run's sweep
  }
}

/** The IO layer's directory sync (on Windows only a check that it opens: see native/io/sys_win.cc). */
async function syncDir(dir: string, pace?: CopyPace): Promise<void> {
  await defaultIO().fsyncDir(dir);
  await pace?.after(CopyPace.SYNC_COST);
}

/**
 * Copies bytes [0, length) of the open file `fd` to a new file `target`, syncing each
 * chunk as it goes and the file at the end. Returns the bytes copied. A short source is
 * an error: the bytes were promised durable.
 */
export async function copyPrefix(fd: number, source: string, target: string, length: number, onBytes?: (n: number) => void, pace?: CopyPace): Promise<number> {
  const out = await fsp.open(target, 'wx');
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, length)));
    let pos = 0;
    while (pos < length) {
      const want = Math.min(buf.length, length - pos);
      const { bytesRead } = await readAt(fd, buf, 0, want, pos);
      if (bytesRead <= 0) throw new StemeError('SOURCE_SHORT', `${source} ends at byte ${pos}, expected ${length} bytes (the durable data is not all there)`);
      for (let w = 0; w < bytesRead; ) w += (await out.write(buf, w, bytesRead - w, pos + w)).bytesWritten;
      pos += bytesRead;
      await out.datasync();
      onBytes?.(bytesRead);
      await pace?.after(bytesRead);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return length;
}

/** Writes a new file with `bytes` and syncs it. */
export async function writeDurable(path: string, bytes: Uint8Array | string, pace?: CopyPace): Promise<void> {
  const fh = await fsp.open(path, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await pace?.after(CopyPace.SYNC_COST);
}

/** The durable watermark file of a built journal, saying everything up to `end` is durable. */
export function writeWatermarkFile(dir: string, end: number, pace?: CopyPace): Promise<void> {
  return writeDurable(join(dir, WATERMARK_FILE), encodeWatermark(end), pace);
}

/** Opens `path` read-only; its inode number, to tell a hard link of it from another file. */
export function openForCopy(path: string): { fd: number; ino: number; dev: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    return { fd, ino: st.ino, dev: st.dev, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
