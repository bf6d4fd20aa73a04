/**
 * JournalIO on node:fs alone, for when the addon cannot load. Writes and syncs
 * run on the libuv pool through fs callbacks, as natively. The lock: O_EXCL pid
 * files (taken over only when that pid is no longer alive) and, on Linux, the
 * directory's flock held by a child process (see docs/durability.md).
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { JournalIO, WatermarkWrite } from './types.js';
import { holdDirLock, type DirLockHolder } from './dir-lock-holder.js';
import { processAlive } from './process-alive.js';
import { StemeError } from '../errors.js';
import { argTypeError } from '../validate.js';

const FLAGS = {
  r: fs.constants.O_RDONLY,
  rw: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
  'create-new': fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
} as const;

function withCode(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function writevAll(fd: number, buffers: readonly Uint8Array[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    let bufs = buffers.filter((b) => b.length > 0);
    const step = () => {
      if (bufs.length === 0) return resolve(total);
      // IOV_MAX is 1024 on Linux; node splits nothing itself.
      const chunk = bufs.slice(0, 1024);
      fs.writev(fd, chunk as Uint8Array[], position + total, (err, written) => {
        if (err) {
          if (err.code === 'EINTR' || err.code === 'EAGAIN') return step();
          return reject(err);
        }
        total += written;
        // Drop what was written, keep the unwritten tail of a partial write.
        let left = written;
        while (left > 0 && bufs.length > 0) {
          const head = bufs[0]!;
          if (head.length <= left) {
            left -= head.length;
            bufs.shift();
          } else {
            bufs[0] = head.subarray(left);
            left = 0;
          }
        }
        step();
      });
    };
    step();
  });
}

const datasync = (fd: number) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export function createFsIO(): JournalIO {
  const locks = new Map<number, string>();
  const holders = new Map<number, DirLockHolder>();
  /** Directory of each file opened for writing: a write there first checks that directory's locks. */
  const writable = new Map<number, string>();
  return {
    name: 'fs',
    mkdirp: (dir) => void fs.mkdirSync(dir, { recursive: true }),
    readdir: (dir) => fs.readdirSync(dir),
    exists: (path) => fs.existsSync(path),
    open(path, mode) {
      const flags = FLAGS[mode];
      if (flags === undefined) throw argTypeError(`open: unknown mode ${JSON.stringify(mode)}`, 'ERR_INVALID_ARG_VALUE');
      const fd = fs.openSync(path, flags, 0o644);
      if (mode !== 'r') writable.set(fd, dirname(path));
      return fd;
    },
    close(fd) {
      writable.delete(fd);
      fs.closeSync(fd);
    },
    size: (fd) => fs.fstatSync(fd).size,
    pread(fd, buf, position) {
      let got = 0;
      while (got < buf.length) {
        const n = fs.readSync(fd, buf, got, buf.length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got;
    },
    async writev(fd, buffers, position, sync, watermark?: WatermarkWrite) {
      checkLocksKept(locks, holders, writable.get(fd));
      const n = await writevAll(fd, buffers, position);
      if (sync) await datasync(fd);
      if (watermark) await writevAll(watermark.fd, [watermark.record], 0);
      return n;
    },
    fsync: datasync,
    truncate: (fd, length) => fs.ftruncateSync(fd, length),
    async fsyncDir(dir) {
      if (process.platform === 'win32') return; // directories cannot be opened for fsync there
      const fd = fs.openSync(dir, 'r');
      try {
        await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(withCode(err)) : resolve())));
      } finally {
        fs.closeSync(fd);
      }
    },
    rename: (from, to) => fs.renameSync(from, to),
    unlink: (path) => fs.unlinkSync(path),
    lock(path) {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const fd = fs.openSync(path + '.pid', 'wx');
          fs.writeSync(fd, String(process.pid));
          locks.set(fd, path + '.pid');
          return fd;
        } catch (err) {
          // Windows keeps the name of a file deleted while open until its holder closes it,
          // and refuses to create it again meanwhile: the holder is alive.
          if (process.platform === 'win32' && (err as NodeJS.ErrnoException).code === 'EPERM') {
            throw new StemeError('ELOCKED', `${path}.pid was deleted while its holder has it open: locked until that writer closes`);
          }
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          const owner = Number(fs.readFileSync(path + '.pid', 'utf8'));
          if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
            throw new StemeError('ELOCKED', `${path} is locked by pid ${owner}`);
          }
          fs.rmSync(path + '.pid', { force: true }); // stale: its owner is gone
        }
      }
      throw new StemeError('ELOCKED', `${path}: could not take the lock`);
    },
    async lockDir(dir) {
      // A second pid file, so that deleting LOCK.pid alone (clearing a "stale" lock) does
      // not let a second writer in; and, where flock(1) exists, the directory's flock held
      // by a child process (dir-lock-holder.ts), which no deletion undoes.
      const handle = this.lock(join(dir, WRITER_LOCK));
      try {
        const holder = await holdDirLock(dir);
        if (holder) holders.set(handle, holder);
      } catch (err) {
        this.unlock(handle);
        throw err;
      }
      return handle;
    },
    unlock(handle) {
      holders.get(handle)?.release();
      holders.delete(handle);
      const p = locks.get(handle);
      // Removed only while it is still ours: a file someone put in its place is not.
      const ours = p !== undefined && sameFile(handle, p);
      fs.closeSync(handle);
      locks.delete(handle);
      if (p && ours) fs.rmSync(p, { force: true });
    },
  };
}

/** Hidden second pid file of the fs lock (lockDir); `.pid` is appended. */
const WRITER_LOCK = '.writer';

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/**
 * Before each write: while the directory's flock is held (dir-lock-holder.ts) nothing
 * else matters. Without it, a pid file deleted (or replaced) under its holder lets
 * another writer in; the holder finds out here and fails instead of writing beside it.
 */
function checkLocksKept(locks: Map<number, string>, holders: Map<number, DirLockHolder>, dir: string | undefined): void {
  if (dir === undefined) return;
  const ours = [...locks].filter(([, path]) => dirname(path) === dir);
  for (const [fd] of ours) {
    const holder = holders.get(fd);
    if (holder?.held()) return; // the directory's flock: no deletion lets a second writer in
    if (holder) throw new StemeError('ELOCKED', `the process holding the flock on ${dir} is gone: another writer may have the journal`);
  }
  for (const [fd, path] of ours) {
    if (!sameFile(fd, path)) throw new StemeError('ELOCKED', `${path} was deleted or replaced while this writer held it: another writer may have the journal`);
  }
}
