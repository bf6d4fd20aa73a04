/**
 * The native JournalIO: writes, syncs and the writer lock go through the
 * addon (native/io/); everything else uses node:fs synchronous calls, which
 * are cheap metadata operations or reads the journal does on its own thread.
 *
 * Every failure carries a string `code`: node:fs errors already do ('ENOENT',
 * 'EEXIST', ...); the addon's errors carry an errno name too ('EIO',
 * 'ENOSPC', 'EBADF', 'ELOCKED') or Node's argument codes
 * ('ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE').
 */
import * as fs from 'node:fs';

import type { JournalIO, WatermarkWrite } from './types.js';

/** The IO functions of the native addon (native/io/io.h). */
export interface NativeIoBinding {
  /**
   * Opens/creates `path`, takes an exclusive non-blocking OS lock held as long
   * as the returned handle (or the process) lives, and writes the holder's
   * pid into the file. Throws code 'ELOCKED' when held, here or elsewhere.
   */
  lock(path: string): number;
  /** Releases a handle returned by lock(). Unknown handle: code 'EBADF'. */
  unlock(handle: number): void;
  /**
   * pwritev of all buffers at `position`, then fdatasync when `sync`, then,
   * when `wmFd >= 0`, the 16-byte watermark record for `wmValue` at offset 0
   * of `wmFd`. Resolves with the bytes written. Bad arguments throw
   * synchronously (TypeError/RangeError).
   */
  writev(
    fd: number,
    buffers: readonly Uint8Array[],
    position: number,
    sync: boolean,
    wmFd: number,
    wmValue: number,
  ): Promise<number>;
  /** fdatasync (F_FULLFSYNC on macOS, FlushFileBuffers on Windows). */
  fsync(fd: number): Promise<void>;
  /** fsync of a directory (a no-op on Windows). */
  fsyncDir(path: string): Promise<void>;
}

const OPEN_FLAGS = {
  r: fs.constants.O_RDONLY,
  rw: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
  'create-new': fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
} as const;

type OpenMode = keyof typeof OPEN_FLAGS;

const FILE_MODE = 0o644;

/** Makes sure a thrown value is an Error with a string `code`. */
function withCode(err: unknown, fallback = 'EIO'): Error & { code: string } {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & { code?: unknown };
  if (typeof e.code !== 'string') e.code = fallback;
  return e as Error & { code: string };
}

/** Runs a synchronous fs call, rethrowing its failure with a string `code`. */
function sync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw withCode(err);
  }
}

/** Calls a promise-returning native function; a synchronous throw becomes a rejection. */
function promised<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn().catch((err: unknown) => Promise.reject(withCode(err)));
  } catch (err) {
    return Promise.reject(withCode(err));
  }
}

export function createNativeIO(binding: NativeIoBinding): JournalIO {
  return {
    name: 'native',

    mkdirp(dir: string): void {
      sync(() => fs.mkdirSync(dir, { recursive: true }));
    },

    readdir(dir: string): string[] {
      return sync(() => fs.readdirSync(dir));
    },

    exists(path: string): boolean {
      return fs.existsSync(path);
    },

    open(path: string, mode: OpenMode): number {
      const flags = OPEN_FLAGS[mode];
      if (flags === undefined) {
        const e = new TypeError(`open: unknown mode ${JSON.stringify(mode)}`) as TypeError & { code: string };
        e.code = 'ERR_INVALID_ARG_VALUE';
        throw e;
      }
      return sync(() => fs.openSync(path, flags, FILE_MODE));
    },

    close(fd: number): void {
      sync(() => fs.closeSync(fd));
    },

    size(fd: number): number {
      return sync(() => fs.fstatSync(fd).size);
    },

    pread(fd: number, buf: Uint8Array, position: number): number {
      let done = 0;
      while (done < buf.length) {
        const n = sync(() => fs.readSync(fd, buf, done, buf.length - done, position + done));
        if (n === 0) break; // EOF
        done += n;
      }
      return done;
    },

    writev(
      fd: number,
      buffers: readonly Uint8Array[],
      position: number,
      syncData: boolean,
      watermark?: WatermarkWrite,
    ): Promise<number> {
      const wmFd = watermark ? watermark.fd : -1;
      const wmValue = watermark ? watermark.value : 0;
      return promised(() => binding.writev(fd, buffers, position, syncData, wmFd, wmValue));
    },

    fsync(fd: number): Promise<void> {
      return promised(() => binding.fsync(fd));
    },

    truncate(fd: number, length: number): void {
      sync(() => fs.ftruncateSync(fd, length));
    },

    fsyncDir(dir: string): Promise<void> {
      return promised(() => binding.fsyncDir(dir));
    },

    rename(from: string, to: string): void {
      sync(() => fs.renameSync(from, to));
    },

    unlink(path: string): void {
      sync(() => fs.unlinkSync(path));
    },

    lock(path: string): number {
      return sync(() => binding.lock(path));
    },

    unlock(handle: number): void {
      sync(() => binding.unlock(handle));
    },
  };
}
