// @both-backends — the lock files of a live writer, in one process (so it runs under wine too):
// deleting them never lets a second writer in.
import { test } from 'uvu';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, backend } from '../src/index.js';
import { flockBinary, holdDirLock, perlBinary, type HolderKind } from '../src/io/dir-lock-holder.js';
import { tempDir } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';

/** Journal.open that closes a journal it should not have got, so a failing test cannot hang. */
async function openClosingIfOpened(dir: string): Promise<void> {
  const j = await Journal.open(dir);
  await j.close();
}

const win32Native = process.platform === 'win32' && backend === 'native';

test('on Windows the native LOCK file cannot be deleted while its writer holds it', async () => {
  if (!win32Native) return void console.log('  skipped: Windows with the addon only');
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    let code: string | undefined;
    try {
      rmSync(join(dir, 'LOCK'));
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    if (code !== 'EPERM' && code !== 'EBUSY') throw new Error(`LOCK was deletable under its writer (${code ?? 'deleted'})`);
    await rejects(openClosingIfOpened(dir), (e) => e.code === 'ELOCKED');
    await j.close();
  } finally {
    cleanup();
  }
});

// Without the addon, Linux still has an OS lock: flock(1) holds the directory's flock
// for the writer (src/io/dir-lock-holder.ts); elsewhere only the pid files remain.
// On Windows a file deleted while open keeps its name until closed, so nobody can create
// the pid files again while the writer lives.
const dirLocked = backend === 'native' || flockBinary() !== null || perlBinary() !== null || process.platform === 'win32';

test(`a writer whose lock files are all deleted ${dirLocked ? 'keeps the directory' : 'stops writing (pid files only)'} (${backend})`, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    await j.append(new Uint8Array([1]));
    // What an operator does to a "stale" lock (Windows refuses for the native LOCK: see above).
    for (const f of readdirSync(dir).filter((n) => n.includes('LOCK') || n.startsWith('.writer'))) {
      try {
        rmSync(join(dir, f));
      } catch (err) {
        if (!win32Native) throw err;
      }
    }
    if (dirLocked) {
      await rejects(openClosingIfOpened(dir), (e) => e.code === 'ELOCKED'); // the directory itself is locked
      await j.append(new Uint8Array([2]));
    } else {
      // No OS lock: the writer notices before its next write and fails instead of
      // writing beside a second writer.
      await rejects(j.append(new Uint8Array([2])), (e) => e.code === 'ELOCKED');
    }
    await j.close().catch(() => {});
  } finally {
    cleanup();
  }
});

for (const kind of ['flock', 'perl'] as HolderKind[]) {
  test(`the ${kind} holder's lock keeps both a ${kind} holder and a ${backend} writer out until released`, async () => {
    if (!(kind === 'flock' ? flockBinary() : perlBinary())) return void console.log(`  skipped: no ${kind} here`);
    const { dir, cleanup } = tempDir();
    try {
      const held = await holdDirLock(dir, kind);
      if (!held) throw new Error(`no ${kind} holder`);
      await rejects(holdDirLock(dir, kind), (e) => e.code === 'ELOCKED');
      await rejects(openClosingIfOpened(dir), (e) => e.code === 'ELOCKED');
      held.release();
      await openClosingIfOpened(dir); // released on return
    } finally {
      cleanup();
    }
  });
}

test.run();
