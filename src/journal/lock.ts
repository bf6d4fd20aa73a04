/**
 * The writer lock of a journal directory: the LOCK file (its pid tells tools who
 * holds it) and, where the IO can, the directory itself. A LOCK file can be deleted
 * or replaced under a live writer (an operator clearing a "stale" lock), after which
 * a second LOCK file would lock fine; the directory cannot be replaced while it
 * holds the journal's files, so its lock keeps a second writer out regardless.
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { LockedError } from '../errors.js';

/** The lock file's name in a journal directory (it holds the writer's pid). */
export const LOCK_FILE = 'LOCK';

/** Takes every lock of `dir`; ELOCKED becomes a LockedError. Release with unlockJournal. */
export async function lockJournal(io: JournalIO, dir: string): Promise<number[]> {
  const handles: number[] = [];
  try {
    handles.push(io.lock(join(dir, LOCK_FILE)));
    if (io.lockDir) handles.push(await io.lockDir(dir));
  } catch (err) {
    unlockJournal(io, handles);
    if ((err as { code?: string }).code === 'ELOCKED') throw new LockedError(dir, err);
    throw err;
  }
  return handles;
}

export function unlockJournal(io: JournalIO, handles: number[]): void {
  for (const h of handles.splice(0).reverse()) io.unlock(h);
}
