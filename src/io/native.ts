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
import { createFsIO } from './fs.js';
import type { JournalIO, WatermarkWrite } from './types.js';

/** The IO functions of the native addon (native/addon.h, native/io/). */
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
   * when `wmFd >= 0`, the encoded 16-byte watermark record `wmRecord` at
   * offset 0 of `wmFd` (`wmRecord` null when `wmFd` is -1). Resolves with the
   * bytes written. Bad arguments throw synchronously (TypeError/RangeError).
   */
  writev(fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, wmFd: number, wmRecord: Uint8Array | null): Promise<number>;
  /** fdatasync (F_FULLFSYNC on macOS, FlushFileBuffers on Windows). */
  fsync(fd: number): Promise<void>;
  /** fsync of a directory (a no-op on Windows). */
  fsyncDir(path: string): Promise<void>;
  /** A write loop: writerWritev() jobs run one after another on a borrowed libuv pool thread. */
  writerOpen(spinMicros: number): unknown;
  /** writev() in that loop; jobs run in submission order. */
  writerWritev(
    writer: unknown,
    fd: number,
    buffers: readonly Uint8Array[],
    position: number,
    sync: boolean,
    wmFd: number,
    wmRecord: Uint8Array | null,
  ): Promise<number>;
  /** Ends the loop once its queue is empty (queued jobs still run and settle). */
  writerClose(writer: unknown): void;
}

export interface NativeIOOptions {
  /**
   * Run writev() in a write loop of this IO's own (native/io/write_loop.cc): jobs run one
   * after another on a libuv pool thread the loop borrows, and after each it polls this many
   * microseconds for the next before giving the thread back. Plain pool jobs put their
   * thread to sleep at once, and waking it again for the next job costs tens of
   * microseconds on a virtual machine. Undefined: one pool job per writev().
   */
  writerSpinMicros?: number;
}

/** Makes sure a thrown value is an Error with a string `code`. */
function withCode(err: unknown, fallback = 'EIO'): Error & { code: string } {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & { code?: unknown };
  if (typeof e.code !== 'string') e.code = fallback;
  return e as Error & { code: string };
}

/** Calls a promise-returning native function; a synchronous throw becomes a rejection. */
function promised<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn().catch((err: unknown) => Promise.reject(withCode(err)));
  } catch (err) {
    return Promise.reject(withCode(err));
  }
}

/**
 * The fs-based IO for metadata and reads, with writes, syncs and the lock
 * taken over by the addon (one pool job per batch: pwritev + fdatasync +
 * watermark; an flock/LockFileEx that dies with the process).
 */
export function createNativeIO(binding: NativeIoBinding, options: NativeIOOptions = {}): JournalIO {
  const spin = options.writerSpinMicros;
  let writer: unknown = null;
  return {
    ...createFsIO(),
    name: 'native',
    writev(fd: number, buffers: readonly Uint8Array[], position: number, syncData: boolean, watermark?: WatermarkWrite): Promise<number> {
      const wmFd = watermark ? watermark.fd : -1;
      const wmRecord = watermark ? watermark.record : null;
      if (spin === undefined) return promised(() => binding.writev(fd, buffers, position, syncData, wmFd, wmRecord));
      return promised(() => binding.writerWritev((writer ??= binding.writerOpen(spin)), fd, buffers, position, syncData, wmFd, wmRecord));
    },
    release(): void {
      if (writer !== null) binding.writerClose(writer);
      writer = null;
    },
    fsync: (fd: number) => promised(() => binding.fsync(fd)),
    fsyncDir: (dir: string) => promised(() => binding.fsyncDir(dir)),
    lock(path: string): number {
      try {
        return binding.lock(path);
      } catch (err) {
        throw withCode(err);
      }
    },
    // flock on a read-only descriptor of the directory (native/io/sys_posix.cc). Windows
    // cannot lock a directory; there the LOCK file is opened without FILE_SHARE_DELETE,
    // so it cannot be deleted or replaced while held.
    ...(process.platform === 'win32'
      ? { lockDir: undefined }
      : {
          lockDir(dir: string): number {
            try {
              return binding.lock(dir);
            } catch (err) {
              throw withCode(err);
            }
          },
        }),
    unlock(handle: number): void {
      try {
        binding.unlock(handle);
      } catch (err) {
        throw withCode(err);
      }
    },
  };
}
