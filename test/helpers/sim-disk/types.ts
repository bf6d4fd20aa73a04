/** Types, the file image and small helpers of the simulated disk (see ../sim-disk.ts). */
import type { JournalIO } from '../../../src/io/types.js';

export type SimOp = 'write' | 'sync' | 'fsyncDir' | 'truncate' | 'rename' | 'unlink' | 'open' | 'read';
export type CrashMode = 'none' | 'all' | 'prefix' | 'torn';
export type PagesAfterSyncError = 'keep' | 'drop' | 'random';

export interface FaultSpec {
  op: SimOp;
  /** errno name; default 'EIO'. */
  code?: string;
  /** Let this many matching operations pass first (default 0: the next one fails). */
  after?: number;
  /** Only operations on a path matching this (substring or RegExp). For 'write' the watermark publication counts too. */
  path?: string | RegExp;
  /** After a failed sync, does the page cache keep the lost bytes ('keep') or revert to the disk ('drop')? Default 'random'. */
  pages?: PagesAfterSyncError;
}

export interface SimDiskOptions {
  /** Seeds every random choice of the disk (crash outcomes, extra ticks, fault details). */
  seed?: number;
  /** Atomic unit of a torn write in bytes (default 512; 1 tears at any byte). */
  sector?: number;
  /** 'prefix' (default): a crash keeps a prefix of each directory's unsynced entry changes; 'any': any subset. */
  dirOrder?: 'prefix' | 'any';
  /** Crash outcome of every file; default: chosen per file at random. */
  crashMode?: CrashMode;
  /** Async phases take 1 + up to this many event-loop turns (seeded; default 2). */
  maxExtraTicks?: number;
}

export interface SimStats {
  ops: number;
  writes: number;
  bytesWritten: number;
  syncs: number;
  dirSyncs: number;
  preads: number;
  /** Largest buffer passed to pread. */
  maxPreadBytes: number;
  /** Largest number of bytes a pread asked for beyond the end of the file. */
  maxPreadOvershoot: number;
  faultsFired: number;
  crashes: number;
  kills: number;
  /** fsync/fdatasync calls per path (syncs of a file after an injected sync error are worth counting). */
  syncsByPath: Map<string, number>;
}

export interface CrashReport {
  kind: 'crash' | 'kill';
  files: Array<{ path: string; mode: CrashMode; before: number; after: number; durable: number }>;
}

/** Thrown by the operation an armed crash interrupts. */
export class SimCrashError extends Error {
  readonly code = 'ECRASHED';
  constructor(op: string) {
    super(`simulated crash during ${op}`);
  }
}

export const ERRNO: Record<string, number> = { EIO: 5, ENOSPC: 28, EBADF: 9, ENOENT: 2, EEXIST: 17, ELOCKED: 11, EDQUOT: 122, EROFS: 30 };
export const SYSCALL: Record<SimOp, string> = {
  write: 'pwritev',
  sync: 'fdatasync',
  fsyncDir: 'fsync',
  truncate: 'ftruncate',
  rename: 'rename',
  unlink: 'unlink',
  open: 'open',
  read: 'pread',
};

export function errnoError(code: string, syscall: string, path: string, what = ''): Error & { code: string } {
  const msg = code === 'ENOSPC' ? 'no space left on device' : code === 'EIO' ? 'i/o error' : code.toLowerCase();
  return Object.assign(new Error(`${code}: ${msg}, ${syscall} '${path}'${what ? ` (${what})` : ''}`), {
    code,
    errno: -(ERRNO[code] ?? 5),
    syscall,
    path,
  });
}

/** A growable byte image. */
export class Image {
  data: Uint8Array;
  len: number;
  constructor(data = new Uint8Array(64), len = 0) {
    this.data = data;
    this.len = len;
  }
  clone(): Image {
    return new Image(this.data.slice(0, Math.max(this.len, 16)), this.len);
  }
  bytes(): Uint8Array {
    return this.data.slice(0, this.len);
  }
  #reserve(n: number): void {
    if (n <= this.data.length) return;
    const next = new Uint8Array(Math.max(n, this.data.length * 2));
    next.set(this.data.subarray(0, this.len));
    this.data = next;
  }
  write(pos: number, src: Uint8Array): void {
    const end = pos + src.length;
    this.#reserve(end);
    if (pos > this.len) this.data.fill(0, this.len, pos);
    this.data.set(src, pos);
    if (end > this.len) this.len = end;
  }
  truncate(n: number): void {
    if (n > this.len) {
      this.#reserve(n);
      this.data.fill(0, this.len, n);
    }
    this.len = n;
  }
  read(pos: number, dst: Uint8Array): number {
    if (pos >= this.len) return 0;
    const n = Math.min(dst.length, this.len - pos);
    dst.set(this.data.subarray(pos, pos + n));
    return n;
  }
}

export type FileOp = { t: 'w'; pos: number; data: Uint8Array } | { t: 't'; len: number };

export interface Inode {
  id: number;
  cur: Image;
  dur: Image;
  /** Writes and truncates since the last fsync, in order. */
  log: FileOp[];
}

export type DirChange = Array<[name: string, ino: number | null]>;

export interface Dir {
  live: Map<string, number>;
  dur: Map<string, number>;
  /** Entry changes since the last fsyncDir; each element is applied atomically. */
  log: DirChange[];
}

export interface OpenFile {
  ino: number;
  path: string;
  writable: boolean;
  pid: number;
}

/** A JournalIO bound to one simulated process (see SimDisk.process()). */
export interface SimProcess extends JournalIO {
  readonly pid: number;
  /** False once the process was killed or the machine crashed. */
  readonly alive: boolean;
}

export const IO_METHODS = [
  'mkdirp',
  'readdir',
  'exists',
  'open',
  'close',
  'size',
  'pread',
  'writev',
  'fsync',
  'truncate',
  'fsyncDir',
  'rename',
  'unlink',
  'lock',
  'unlock',
] as const;

export interface ArmedFault extends FaultSpec {
  left: number;
}

export function replay(base: Image, ops: readonly FileOp[]): Image {
  const img = base.clone();
  for (const op of ops) {
    if (op.t === 'w') img.write(op.pos, op.data);
    else img.truncate(op.len);
  }
  return img;
}

export interface SimSnapshot {
  inodes: Map<number, { cur: Image; dur: Image; log: FileOp[] }>;
  dirs: Map<string, Dir>;
  nextIno: number;
}
