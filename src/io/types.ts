/**
 * The journal's whole contact with the disk. The native implementation is the
 * default; the simulated disk (test/helpers) implements the same interface so
 * crash and fault tests run the real journal logic unchanged.
 *
 * Conventions: file descriptors are numbers; paths are absolute or relative to
 * the process cwd; every failure throws (or rejects with) an Error carrying a
 * string `code` (an errno name such as 'EIO', 'ENOSPC', 'ENOENT', 'EEXIST').
 */
export interface WatermarkWrite {
  /** fd of the watermark file (opened with `open(path, 'rw')`). */
  fd: number;
  /**
   * The encoded watermark record to publish (`encodeWatermark(end)` from
   * src/format/watermark.ts, which owns the layout): the IO layer writes these
   * bytes at offset 0 and knows nothing of what they mean.
   */
  record: Uint8Array;
}

/** A read started by JournalIO.preadStart(). */
export interface PendingRead {
  /**
   * The count of bytes read (short only at EOF), or throws the read's error. Synchronous,
   * without a turn of the event loop: it waits for a read in progress, and does one not yet
   * started itself. `buf` must not be used before it returns.
   */
  wait(): number;
  /**
   * Optional: while the read is in progress, writes into the pages of `spare` from byte
   * `from` on (faulting them in, for the read after this one) and returns how far it got.
   */
  touch?(spare: Uint8Array, from: number): number;
}

export interface JournalIO {
  /** Short name for stats/errors: 'native' or 'sim'. */
  readonly name: string;

  mkdirp(dir: string): void;
  /** File names (not paths) in a directory; throws ENOENT if it is missing. */
  readdir(dir: string): string[];
  exists(path: string): boolean;

  /**
   * 'r'  read only;  'rw' read/write, must exist;
   * 'create' read/write, created if missing (not truncated);
   * 'create-new' read/write, fails with EEXIST if it exists.
   */
  open(path: string, mode: 'r' | 'rw' | 'create' | 'create-new'): number;
  close(fd: number): void;
  /** Current size of the open file. */
  size(fd: number): number;
  /** Reads up to buf.length bytes at position; returns the count (short only at EOF). */
  pread(fd: number, buf: Uint8Array, position: number): number;
  /**
   * Optional: starts a pread() off the JS thread, for reading ahead while the JS thread
   * works on the block before; its wait() returns what pread() would have. Without it,
   * every read is a pread().
   */
  preadStart?(fd: number, buf: Uint8Array, position: number): PendingRead;

  /**
   * Writes all buffers contiguously at `position` (one pwritev, looping on
   * partial writes), then, when `sync`, fdatasync. Then, if `watermark` is
   * given, writes `watermark.record` at offset 0 of the watermark file (not synced:
   * it only tells readers what is already durable). Runs off the JS thread.
   * Resolves with the number of bytes written.
   */
  writev(fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, watermark?: WatermarkWrite): Promise<number>;
  /** fdatasync (F_FULLFSYNC on macOS). Off the JS thread. */
  fsync(fd: number): Promise<void>;
  /** ftruncate to `length` (no sync: call fsync after). */
  truncate(fd: number, length: number): void;
  /** Makes directory entries (create, rename, unlink) durable. Off the JS thread. */
  fsyncDir(dir: string): Promise<void>;
  rename(from: string, to: string): void;
  unlink(path: string): void;

  /**
   * Takes an exclusive, non-blocking OS lock on `path` (created if missing),
   * released by unlock() or by the death of the process. A lock already held,
   * by this process or another, throws an Error with code 'ELOCKED'.
   */
  lock(path: string): number;
  /**
   * Optional: the same exclusive lock on the directory `dir` itself (released by
   * unlock()), which, unlike a lock file, cannot be deleted or replaced under its
   * holder. ELOCKED when held, by this process or another. May be async (the fs IO
   * starts a process to hold it).
   */
  lockDir?(dir: string): number | Promise<number>;
  unlock(handle: number): void;

  /**
   * Optional: the free space of the file system holding `dir`, as fs.statfs reports it
   * (free bytes = bavail × bsize). Without it, retention's minFreeDiskBytes calls fs.statfsSync.
   */
  statfs?(dir: string): { bavail: number; bsize: number };

  /** Frees what the IO holds for its owner (the native writer thread); Journal.close() calls it. */
  release?(): void;
}
