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
import type { JournalIO, PendingRead, WatermarkWrite } from './types.js';

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
  /**
   * A write loop: writerWritev() jobs run one after another on a borrowed libuv pool thread,
   * which polls for the next job at least spinMicros, up to maxSpinMicros where jobs have
   * recently come that soon (default: spinMicros; addons before it take the first only).
   */
  writerOpen(spinMicros: number, maxSpinMicros?: number): unknown;
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
  /**
   * A read loop (native/io/read_ahead.cc): reads run one after another on a borrowed libuv pool
   * thread, which polls `spinMicros` for the next before it is given back. Absent, like the
   * three below, from addons built before it.
   */
  readerOpen?(spinMicros: number): unknown;
  /** Queues a read of all of `buf` at `position` in that loop. */
  readStart?(reader: unknown, fd: number, buf: Uint8Array, position: number): unknown;
  /** That read's byte count (short only at EOF), or its error thrown: waits for a read in progress, does a queued one itself. */
  readWait?(read: unknown): number;
  /** While that read is in progress, writes a byte into each page of `spare` from `from` on; returns how far it got. */
  readTouch?(read: unknown, spare: Uint8Array, from: number): number;
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
  /** The longest the loop polls where jobs have recently come within it (default: writerSpinMicros). */
  writerMaxSpinMicros?: number;
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
  const maxSpin = options.writerMaxSpinMicros ?? spin;
  let writer: unknown = null;
  return {
    ...createFsIO(),
    name: 'native',
    writev(fd: number, buffers: readonly Uint8Array[], position: number, syncData: boolean, watermark?: WatermarkWrite): Promise<number> {
      const wmFd = watermark ? watermark.fd : -1;
      const wmRecord = watermark ? watermark.record : null;
      if (spin === undefined) return promised(() => binding.writev(fd, buffers, position, syncData, wmFd, wmRecord));
      return promised(() => binding.writerWritev((writer ??= binding.writerOpen(spin, maxSpin)), fd, buffers, position, syncData, wmFd, wmRecord));
    },
    release(): void {
      if (writer !== null) binding.writerClose(writer);
      writer = null;
    },
    ...(binding.readerOpen && binding.readStart && binding.readWait && binding.readTouch
      ? { preadStart: nativePreadStart(binding as Required<Pick<NativeIoBinding, 'readerOpen' | 'readStart' | 'readWait' | 'readTouch'>>) }
      : {}),
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

/**
 * How long the read loop polls for the next read: a reader asks for its next block once it
 * has verified and handed out the one before (~250 us for 1 MiB here), and the read before
 * took ~100 us, so the next request comes within this while an iteration runs.
 */
const READ_SPIN_MICROS = 300;

/** The read loop, one per addon (so per thread): idle, it holds no thread. */
const readLoops = new WeakMap<object, unknown>();

/** preadStart() over the addon's read loop; errors carry a string code like every IO error. */
function nativePreadStart(
  binding: Required<Pick<NativeIoBinding, 'readerOpen' | 'readStart' | 'readWait' | 'readTouch'>>,
): (fd: number, buf: Uint8Array, position: number) => PendingRead {
  return (fd, buf, position) => {
    let loop = readLoops.get(binding);
    if (loop === undefined) readLoops.set(binding, (loop = binding.readerOpen(READ_SPIN_MICROS)));
    const read = binding.readStart(loop, fd, buf, position);
    return {
      wait() {
        try {
          return binding.readWait(read);
        } catch (err) {
          throw withCode(err);
        }
      },
      touch: (spare, from) => binding.readTouch(read, spare, from),
    };
  };
}
