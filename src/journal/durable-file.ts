/**
 * Small state files (cursors, the sealed-segment ledger) written crash-safely:
 * the new content goes to a temporary file that is synced, renamed over the old
 * one, then the directory is synced. A crash at any instant leaves the old file
 * or the new one, never a torn mix (rename is atomic).
 *
 * Temporary names carry the writing process's pid (`<name>.<pid>-<n>.tmp`): readers
 * in other processes write cursors too, and a writer opening the journal removes
 * only the temporaries of processes that are gone (or its own, left by a crash).
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { processAlive } from '../io/process-alive.js';

const TMP = '.tmp';
let counter = 0;

/** Replaces `dir/name` with `bytes` durably (write new, fsync, rename, fsync dir). */
export async function writeDurableFile(io: JournalIO, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(dir, name);
  const tmp = join(dir, `${name}.${process.pid}-${++counter}${TMP}`);
  const fd = io.open(tmp, 'create-new');
  let renamed = false;
  try {
    await io.writev(fd, [bytes], 0, true);
    io.close(fd);
    io.rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        io.close(fd);
      } catch {
        // closed above, before a failed rename
      }
      try {
        io.unlink(tmp);
      } catch {
        // removed at the next writer open
      }
    }
  }
  await syncDir(io, dir);
}

/**
 * fsync of the directory, its failure marked `dirSyncFailed`: unlike a failed write of
 * the temporary (discarded, never trusted), it may have lost directory entries that a
 * later fsync would then falsely report durable (rule 8), so callers stop on it.
 */
async function syncDir(io: JournalIO, dir: string): Promise<void> {
  try {
    await io.fsyncDir(dir);
  } catch (err) {
    if (err !== null && typeof err === 'object') Object.assign(err, { dirSyncFailed: true });
    throw err;
  }
}

/** True for an error of the directory fsync of writeDurableFile()/unlinkDurableFile(). */
export function isDirSyncFailure(err: unknown): boolean {
  return (err as { dirSyncFailed?: unknown } | null)?.dirSyncFailed === true;
}

/** Removes `dir/name` durably; false if it was not there. */
export async function unlinkDurableFile(io: JournalIO, dir: string, name: string): Promise<boolean> {
  try {
    io.unlink(join(dir, name));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return false;
    throw err;
  }
  await syncDir(io, dir);
  return true;
}

/** The whole file, or null if it is missing. */
export function readSmallFile(io: JournalIO, path: string, maxBytes: number): Uint8Array | null {
  let fd: number;
  try {
    fd = io.open(path, 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = Math.min(io.size(fd), maxBytes);
    const buf = new Uint8Array(size);
    const n = size === 0 ? 0 : io.pread(fd, buf, 0);
    return buf.subarray(0, n);
  } finally {
    io.close(fd);
  }
}

/** Removes temporaries left by processes that no longer run (or by this one before a crash). */
export function removeStaleTemporaries(io: JournalIO, dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = io.readdir(dir);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return removed;
    throw err;
  }
  for (const name of names) {
    const m = /\.(\d+)-\d+\.tmp$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    try {
      io.unlink(join(dir, name));
      removed.push(name);
    } catch {
      // renamed into place meanwhile by its (live) writer
    }
  }
  return removed;
}
