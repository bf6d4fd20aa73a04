/**
 * SimDisk: a JournalIO that lives entirely in memory and models what a crash
 * can do to a file system, so crash and fault tests run the real journal code.
 *
 * Files. Each file (inode) keeps two images: `cur`, what reads see (the page
 * cache), and `dur`, what is on stable storage, plus the log of writes and
 * truncates made since its last fsync. fsync(fd) replays the log onto `dur`:
 * the file's data and size become durable, its directory entry does not.
 * ftruncate is volatile until that fsync too.
 *
 * Directories. Each directory keeps its live entries, its durable entries and
 * the log of entry changes since its last fsyncDir: create, rename and unlink
 * are volatile until fsyncDir of that directory. A file whose entry was never
 * made durable vanishes at a crash; an unsynced rename reverts. mkdirp is
 * modelled as durable (tests create their directory up front).
 *
 * crash() is a power failure / kernel crash: every file loses its unsynced
 * writes, per file and chosen by the seeded RNG, either wholly ('none'),
 * not at all ('all'), partly ('prefix': the writes in order up to a point, the
 * last one cut at a sector boundary, the size possibly ahead of the data) or
 * torn ('torn': each dirty 512-byte sector independently old or new, the size
 * anywhere between the old and the new one, holes read as zeros). Directory
 * logs keep a prefix of their changes (dirOrder 'prefix', like a journaling
 * file system) or any subset ('any'). crash({ mode, dirs }) forces outcomes.
 * kill() is a process death: fds and locks go, the page cache stays.
 *
 * Processes. disk.process() gives a JournalIO acting as its own process (own
 * fds, own locks). A crash kills every process; kill(proc) one. A dead
 * process's synchronous calls throw (code 'ECRASHED'), its async ones never
 * settle, so a dead journal's leftover code cannot touch the disk after the
 * test reopened it. The SimDisk's own methods act as a default process that is
 * replaced at every crash/kill (convenient, but without that protection).
 *
 * Faults. failNext({ op, code, after, path }) makes the (after+1)-th matching
 * operation ('write', 'sync', 'fsyncDir', 'truncate', 'rename', 'unlink',
 * 'open', 'read') fail with `code`. A failed write applies a random prefix of
 * its bytes first (ENOSPC after a short write). A failed sync behaves like
 * Linux: part of the dirty data may have reached the disk, the rest is lost
 * and the pages are marked clean; the cache either keeps the new bytes (a
 * later fsync then "succeeds" without writing them) or drops them ('pages').
 *
 * Async operations (writev, fsync, fsyncDir) run in phases (writev: write,
 * then fdatasync, then the watermark publication), each on a later turn of
 * the event loop (setImmediate, plus 0..maxExtraTicks seeded extra turns), so
 * a crash can fall between a write and its sync. crashAfterOps(n, kind,
 * match) arms a crash at the n-th operation from now (sync operations and
 * async phases both count; `match` filters them by their trace line); the
 * interrupted operation never happens.
 */
import { posix } from 'node:path';
import type { JournalIO, WatermarkWrite } from '../../src/io/types.js';
import { encodeWatermarkBytes } from '../../src/io/watermark-bytes.js';
import { rng } from './vectors.js';

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

const ERRNO: Record<string, number> = { EIO: 5, ENOSPC: 28, EBADF: 9, ENOENT: 2, EEXIST: 17, ELOCKED: 11, EDQUOT: 122, EROFS: 30 };
const SYSCALL: Record<SimOp, string> = {
  write: 'pwritev', sync: 'fdatasync', fsyncDir: 'fsync', truncate: 'ftruncate', rename: 'rename', unlink: 'unlink', open: 'open', read: 'pread',
};

function errnoError(code: string, syscall: string, path: string, what = ''): Error & { code: string } {
  const msg = code === 'ENOSPC' ? 'no space left on device' : code === 'EIO' ? 'i/o error' : code.toLowerCase();
  return Object.assign(new Error(`${code}: ${msg}, ${syscall} '${path}'${what ? ` (${what})` : ''}`), {
    code, errno: -(ERRNO[code] ?? 5), syscall, path,
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

type FileOp = { t: 'w'; pos: number; data: Uint8Array } | { t: 't'; len: number };

interface Inode {
  id: number;
  cur: Image;
  dur: Image;
  /** Writes and truncates since the last fsync, in order. */
  log: FileOp[];
}

type DirChange = Array<[name: string, ino: number | null]>;

interface Dir {
  live: Map<string, number>;
  dur: Map<string, number>;
  /** Entry changes since the last fsyncDir; each element is applied atomically. */
  log: DirChange[];
}

interface OpenFile {
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

const IO_METHODS = ['mkdirp', 'readdir', 'exists', 'open', 'close', 'size', 'pread', 'writev', 'fsync', 'truncate', 'fsyncDir', 'rename', 'unlink', 'lock', 'unlock'] as const;

interface ArmedFault extends FaultSpec {
  left: number;
}

function replay(base: Image, ops: readonly FileOp[]): Image {
  const img = base.clone();
  for (const op of ops) {
    if (op.t === 'w') img.write(op.pos, op.data);
    else img.truncate(op.len);
  }
  return img;
}

export class SimDisk implements JournalIO {
  readonly name = 'sim';
  readonly stats: SimStats = {
    ops: 0, writes: 0, bytesWritten: 0, syncs: 0, dirSyncs: 0, preads: 0, maxPreadBytes: 0, maxPreadOvershoot: 0,
    faultsFired: 0, crashes: 0, kills: 0, syncsByPath: new Map(),
  };
  /** Every crash() and kill(), most recent last. */
  readonly history: CrashReport[] = [];
  /** Called with a short description of every operation (for debugging a seed). */
  trace: ((line: string) => void) | null = null;

  readonly #opts: Required<Omit<SimDiskOptions, 'crashMode'>> & { crashMode: CrashMode | undefined };
  readonly #rand: () => number;
  #inodes = new Map<number, Inode>();
  #dirs = new Map<string, Dir>();
  #fds = new Map<number, OpenFile>();
  #locks = new Map<string, { handle: number; pid: number }>();
  #lockHandles = new Map<number, string>();
  #alive = new Set<number>();
  #nextPid = 1;
  /** The process the SimDisk's own JournalIO methods act as; replaced at every crash/kill. */
  #defaultPid = 0;
  #caller = 0;
  #nextIno = 1;
  #nextFd = 1000;
  #generation = 0;
  #faults: ArmedFault[] = [];
  #crashIn: { left: number; kind: 'crash' | 'kill'; match: RegExp | undefined } | null = null;
  #crashWaiters: Array<(kind: 'crash' | 'kill') => void> = [];

  constructor(options: SimDiskOptions = {}) {
    this.#opts = {
      seed: options.seed ?? 1,
      sector: options.sector ?? 512,
      dirOrder: options.dirOrder ?? 'prefix',
      crashMode: options.crashMode,
      maxExtraTicks: options.maxExtraTicks ?? 2,
    };
    this.#rand = rng(this.#opts.seed);
    this.#defaultPid = this.#caller = this.#newPid();
    this.#dirs.set('/', { live: new Map(), dur: new Map(), log: [] });
  }

  /**
   * A JournalIO acting as a separate process: its fds and locks are its own,
   * and once it dies (kill(it), kill(), crash()) every call it makes fails
   * (sync calls throw ECRASHED, async ones never settle), so code of a dead
   * journal still running in this test process cannot touch the disk.
   * The SimDisk's own methods act as a default process that is replaced by a
   * fresh one at every crash and kill.
   */
  process(): SimProcess {
    const pid = this.#newPid();
    const disk = this;
    const proc = { name: 'sim', pid } as { -readonly [K in keyof SimProcess]: SimProcess[K] };
    Object.defineProperty(proc, 'alive', { get: () => disk.#alive.has(pid) });
    for (const m of IO_METHODS) {
      const fn = (SimDisk.prototype[m] as (...args: unknown[]) => unknown);
      (proc as Record<string, unknown>)[m] = (...args: unknown[]) => {
        const prev = disk.#caller;
        disk.#caller = pid;
        try {
          return fn.apply(disk, args);
        } finally {
          disk.#caller = prev;
        }
      };
    }
    return proc as SimProcess;
  }

  /** Bumped by every crash() and kill(). */
  get generation(): number {
    return this.#generation;
  }

  // ---------------------------------------------------------------- control

  /**
   * Power failure: unsynced data and directory changes are lost (see the
   * header). `mode` forces the outcome of every file's unsynced writes;
   * `dirs` that of unsynced directory changes ('none' lost, 'all' kept,
   * default: random per dirOrder).
   */
  crash(options: { mode?: CrashMode; dirs?: 'none' | 'all' } = {}): CrashReport {
    const report: CrashReport = { kind: 'crash', files: [] };
    this.#die();
    for (const dir of this.#dirs.values()) {
      let keep = dir.log;
      if (options.dirs === 'none') keep = [];
      else if (options.dirs === 'all') keep = dir.log;
      else if (this.#opts.dirOrder === 'prefix') keep = dir.log.slice(0, this.#int(dir.log.length + 1));
      else keep = dir.log.filter(() => this.#rand() < 0.5);
      for (const change of keep) for (const [name, ino] of change) ino === null ? dir.dur.delete(name) : dir.dur.set(name, ino);
      dir.live = new Map(dir.dur);
      dir.log = [];
    }
    const reachable = new Set<number>();
    for (const dir of this.#dirs.values()) for (const ino of dir.dur.values()) reachable.add(ino);
    const names = this.#pathsByInode();
    for (const [id, ino] of [...this.#inodes]) {
      if (!reachable.has(id)) {
        this.#inodes.delete(id);
        continue;
      }
      const mode = options.mode ?? this.#opts.crashMode ?? this.#pickMode();
      const before = ino.cur.len;
      const img = ino.log.length === 0 ? ino.dur : this.#resolve(ino, mode);
      report.files.push({ path: names.get(id) ?? `#${id}`, mode: ino.log.length === 0 ? 'none' : mode, before, after: img.len, durable: ino.dur.len });
      ino.cur = img.clone();
      ino.dur = img.clone();
      ino.log = [];
    }
    this.stats.crashes++;
    this.history.push(report);
    this.#trace(`CRASH ${report.files.map((f) => `${f.path}:${f.mode}:${f.before}->${f.after}`).join(' ')}`);
    this.#notify('crash');
    return report;
  }

  /**
   * Process death: fds and locks are released, the page cache and live
   * directory entries stay. Without an argument every process dies (and the
   * default one is replaced); with one, only that process.
   */
  kill(proc?: SimProcess): CrashReport {
    if (proc) {
      this.#killPid(proc.pid);
      const report: CrashReport = { kind: 'kill', files: [] };
      this.stats.kills++;
      this.history.push(report);
      this.#trace(`KILL pid ${proc.pid}`);
      return report;
    }
    this.#die();
    const reachable = new Set<number>();
    for (const dir of this.#dirs.values()) {
      for (const ino of dir.live.values()) reachable.add(ino);
      for (const ino of dir.dur.values()) reachable.add(ino);
      for (const change of dir.log) for (const [, ino] of change) if (ino !== null) reachable.add(ino);
    }
    for (const id of [...this.#inodes.keys()]) if (!reachable.has(id)) this.#inodes.delete(id);
    const report: CrashReport = { kind: 'kill', files: [] };
    this.stats.kills++;
    this.history.push(report);
    this.#trace('KILL');
    this.#notify('kill');
    return report;
  }

  /**
   * Arms a crash (or kill) at the n-th operation from now (n >= 1), counting
   * only operations whose trace line matches `match` if given (e.g.
   * /^sync .*\.wal$/: just before a segment's data sync, its write done);
   * null disarms.
   */
  crashAfterOps(n: number | null, kind: 'crash' | 'kill' = 'crash', match?: RegExp): void {
    this.#crashIn = n === null ? null : { left: Math.max(1, Math.floor(n)), kind, match };
  }

  get crashArmed(): boolean {
    return this.#crashIn !== null;
  }

  /** Resolves at the next crash() or kill() (armed or explicit). */
  whenCrashed(): Promise<'crash' | 'kill'> {
    return new Promise((resolve) => this.#crashWaiters.push(resolve));
  }

  /** Makes the (after+1)-th matching operation fail (see FaultSpec). */
  failNext(spec: FaultSpec): void {
    this.#faults.push({ ...spec, left: spec.after ?? 0 });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  get pendingFaults(): number {
    return this.#faults.length;
  }

  // ------------------------------------------------------------- inspection

  /** What a read sees now (page cache), or null if there is no such file. */
  readFile(path: string): Uint8Array | null {
    const ino = this.#lookup(path);
    return ino ? ino.cur.bytes() : null;
  }

  /** What survives a crash that loses every unsynced write (ignoring directory entries). */
  durableFile(path: string): Uint8Array | null {
    const ino = this.#lookup(path);
    return ino ? ino.dur.bytes() : null;
  }

  /** Replaces (or creates) a file, durably by default: test setup and corruption. */
  writeFile(path: string, data: Uint8Array, durable = true): void {
    const p = this.#norm(path);
    const dir = this.#dirOf(p);
    const name = posix.basename(p);
    let id = dir.live.get(name);
    if (id === undefined) {
      id = this.#newInode();
      dir.live.set(name, id);
      if (durable) dir.dur.set(name, id);
      else dir.log.push([[name, id]]);
    }
    const ino = this.#inodes.get(id)!;
    ino.cur = new Image(data.slice(), data.length);
    ino.log = [];
    if (durable) ino.dur = ino.cur.clone();
    else ino.log.push({ t: 't', len: 0 }, { t: 'w', pos: 0, data: data.slice() });
  }

  /** Removes a file durably (test setup). */
  removeFile(path: string): void {
    const p = this.#norm(path);
    const dir = this.#dirOf(p);
    dir.live.delete(posix.basename(p));
    dir.dur.delete(posix.basename(p));
  }

  /** Sorted live entries of a directory. */
  list(dir: string): string[] {
    return this.readdir(dir).sort();
  }

  /** A deep copy of the whole disk state (no fds, no locks), e.g. to restore between sweep cases. */
  snapshot(): SimSnapshot {
    const inodes = new Map<number, { cur: Image; dur: Image; log: FileOp[] }>();
    for (const [id, ino] of this.#inodes) inodes.set(id, { cur: ino.cur.clone(), dur: ino.dur.clone(), log: ino.log.slice() });
    const dirs = new Map<string, Dir>();
    for (const [p, d] of this.#dirs) dirs.set(p, { live: new Map(d.live), dur: new Map(d.dur), log: d.log.slice() });
    return { inodes, dirs, nextIno: this.#nextIno };
  }

  /** Restores a snapshot; open fds and locks are dropped. */
  restore(s: SimSnapshot): void {
    this.#fds.clear();
    this.#locks.clear();
    this.#lockHandles.clear();
    this.#inodes = new Map();
    for (const [id, i] of s.inodes) this.#inodes.set(id, { id, cur: i.cur.clone(), dur: i.dur.clone(), log: i.log.slice() });
    this.#dirs = new Map();
    for (const [p, d] of s.dirs) this.#dirs.set(p, { live: new Map(d.live), dur: new Map(d.dur), log: d.log.slice() });
    this.#nextIno = s.nextIno;
  }

  /** name -> live bytes of every file in `dir` (to compare states). */
  dump(dir: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const name of this.list(dir)) {
      const b = this.readFile(posix.join(this.#norm(dir), name));
      if (b) out.set(name, b);
    }
    return out;
  }

  /** Number of open fds (leak checks). */
  get openFds(): number {
    return this.#fds.size;
  }

  // ------------------------------------------------------------- JournalIO

  mkdirp(dir: string): void {
    this.#live('mkdir');
    const p = this.#norm(dir);
    const parts = p.split('/').filter(Boolean);
    let cur = '/';
    for (const part of parts) {
      cur = posix.join(cur, part);
      if (!this.#dirs.has(cur)) {
        const parent = this.#dirs.get(posix.dirname(cur));
        if (parent?.live.has(part)) throw errnoError('EEXIST', 'mkdir', cur, 'a file has that name');
        this.#dirs.set(cur, { live: new Map(), dur: new Map(), log: [] });
      }
    }
  }

  readdir(dir: string): string[] {
    this.#live('scandir');
    const p = this.#norm(dir);
    const d = this.#dirs.get(p);
    if (!d) throw errnoError('ENOENT', 'scandir', p);
    const names = [...d.live.keys()];
    for (const sub of this.#dirs.keys()) if (sub !== p && posix.dirname(sub) === p) names.push(posix.basename(sub));
    return names;
  }

  exists(path: string): boolean {
    this.#live('access');
    const p = this.#norm(path);
    if (this.#dirs.has(p)) return true;
    const d = this.#dirs.get(posix.dirname(p));
    return d !== undefined && d.live.has(posix.basename(p));
  }

  open(path: string, mode: 'r' | 'rw' | 'create' | 'create-new'): number {
    const p = this.#norm(path);
    const pid = this.#live('open');
    this.#step(`open ${p} ${mode}`);
    this.#fault('open', p);
    const dir = this.#dirs.get(posix.dirname(p));
    if (!dir) throw errnoError('ENOENT', 'open', p);
    if (this.#dirs.has(p)) throw errnoError('EISDIR', 'open', p);
    const name = posix.basename(p);
    let id = dir.live.get(name);
    if (id !== undefined && mode === 'create-new') throw errnoError('EEXIST', 'open', p);
    if (id === undefined) {
      if (mode === 'r' || mode === 'rw') throw errnoError('ENOENT', 'open', p);
      if (mode !== 'create' && mode !== 'create-new') throw Object.assign(new TypeError(`open: unknown mode ${JSON.stringify(mode)}`), { code: 'ERR_INVALID_ARG_VALUE' });
      id = this.#newInode();
      dir.live.set(name, id);
      dir.log.push([[name, id]]);
    }
    const fd = this.#nextFd++;
    this.#fds.set(fd, { ino: id, path: p, writable: mode !== 'r', pid });
    return fd;
  }

  close(fd: number): void {
    this.#file(fd, 'close');
    this.#fds.delete(fd);
  }

  size(fd: number): number {
    return this.#inodes.get(this.#file(fd, 'fstat').ino)!.cur.len;
  }

  pread(fd: number, buf: Uint8Array, position: number): number {
    const f = this.#file(fd, 'pread');
    const ino = this.#inodes.get(f.ino)!;
    if (this.#faults.length > 0) this.#fault('read', this.#pathOf(f));
    this.stats.preads++;
    this.stats.maxPreadBytes = Math.max(this.stats.maxPreadBytes, buf.length);
    this.stats.maxPreadOvershoot = Math.max(this.stats.maxPreadOvershoot, position + buf.length - Math.max(position, ino.cur.len));
    return ino.cur.read(position, buf);
  }

  writev(fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, watermark?: WatermarkWrite): Promise<number> {
    if (!this.#alive.has(this.#caller)) return new Promise(() => {});
    let f: OpenFile;
    let wm: OpenFile | undefined;
    try {
      f = this.#file(fd, 'pwritev', true);
      if (watermark) wm = this.#file(watermark.fd, 'pwritev', true);
    } catch (err) {
      return Promise.reject(err);
    }
    let total = 0;
    for (const b of buffers) total += b.length;
    const data = new Uint8Array(total);
    let p = 0;
    for (const b of buffers) {
      data.set(b, p);
      p += b.length;
    }
    const pid = this.#caller;
    return (async () => {
      await this.#phase(`write ${f.path} @${position}+${total}`, pid, () => this.#write(f, position, data));
      if (sync) await this.#phase(`sync ${f.path}`, pid, () => this.#sync(f));
      if (watermark) await this.#phase(`publish ${wm!.path}=${watermark.value}`, pid, () => this.#write(wm!, 0, encodeWatermarkBytes(watermark.value)));
      return total;
    })();
  }

  fsync(fd: number): Promise<void> {
    if (!this.#alive.has(this.#caller)) return new Promise(() => {});
    let f: OpenFile;
    try {
      f = this.#file(fd, 'fdatasync');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#phase(`fsync ${f.path}`, this.#caller, () => this.#sync(f));
  }

  truncate(fd: number, length: number): void {
    this.#live('ftruncate');
    const f = this.#file(fd, 'ftruncate', true);
    this.#step(`truncate ${f.path} ${length}`);
    this.#fault('truncate', f.path);
    const ino = this.#inodes.get(f.ino)!;
    ino.cur.truncate(length);
    ino.log.push({ t: 't', len: length });
  }

  fsyncDir(dir: string): Promise<void> {
    const p = this.#norm(dir);
    if (!this.#alive.has(this.#caller)) return new Promise(() => {});
    return this.#phase(`fsyncDir ${p}`, this.#caller, () => {
      const d = this.#dirs.get(p);
      if (!d) throw errnoError('ENOENT', 'open', p);
      this.stats.dirSyncs++;
      const fault = this.#fault('fsyncDir', p, false);
      if (fault) {
        // Part of the changes may have been committed before the error.
        const k = this.#int(d.log.length + 1);
        for (const change of d.log.slice(0, k)) for (const [name, ino] of change) ino === null ? d.dur.delete(name) : d.dur.set(name, ino);
        d.log = d.log.slice(k);
        throw fault;
      }
      d.dur = new Map(d.live);
      d.log = [];
    });
  }

  rename(from: string, to: string): void {
    const a = this.#norm(from);
    const b = this.#norm(to);
    this.#live('rename');
    this.#step(`rename ${a} ${b}`);
    this.#fault('rename', a);
    const da = this.#dirs.get(posix.dirname(a));
    const db = this.#dirs.get(posix.dirname(b));
    const id = da?.live.get(posix.basename(a));
    if (!da || !db || id === undefined) throw errnoError('ENOENT', 'rename', a);
    da.live.delete(posix.basename(a));
    db.live.set(posix.basename(b), id);
    if (da === db) {
      da.log.push([[posix.basename(b), id], [posix.basename(a), null]]);
    } else {
      db.log.push([[posix.basename(b), id]]);
      da.log.push([[posix.basename(a), null]]);
    }
  }

  unlink(path: string): void {
    const p = this.#norm(path);
    this.#live('unlink');
    this.#step(`unlink ${p}`);
    this.#fault('unlink', p);
    const d = this.#dirs.get(posix.dirname(p));
    const name = posix.basename(p);
    if (!d || !d.live.has(name)) throw errnoError('ENOENT', 'unlink', p);
    d.live.delete(name);
    d.log.push([[name, null]]);
  }

  lock(path: string): number {
    const p = this.#norm(path);
    const pid = this.#live('lock');
    if (this.#locks.has(p)) throw Object.assign(new Error(`${p} is locked (by simulated process ${this.#locks.get(p)!.pid})`), { code: 'ELOCKED' });
    const d = this.#dirs.get(posix.dirname(p));
    if (!d) throw errnoError('ENOENT', 'open', p);
    const name = posix.basename(p);
    if (!d.live.has(name)) {
      const id = this.#newInode();
      d.live.set(name, id);
      d.log.push([[name, id]]);
    }
    const h = this.#nextFd++;
    this.#locks.set(p, { handle: h, pid });
    this.#lockHandles.set(h, p);
    return h;
  }

  unlock(handle: number): void {
    this.#live('unlock');
    const p = this.#lockHandles.get(handle);
    if (p === undefined || this.#locks.get(p)?.pid !== this.#caller) throw errnoError('EBADF', 'unlock', String(handle));
    this.#lockHandles.delete(handle);
    this.#locks.delete(p);
  }

  // --------------------------------------------------------------- internal

  #norm(path: string): string {
    return posix.resolve('/', path);
  }

  #dirOf(p: string): Dir {
    const d = this.#dirs.get(posix.dirname(p));
    if (!d) throw errnoError('ENOENT', 'open', p);
    return d;
  }

  #lookup(path: string): Inode | undefined {
    const p = this.#norm(path);
    const id = this.#dirs.get(posix.dirname(p))?.live.get(posix.basename(p));
    return id === undefined ? undefined : this.#inodes.get(id);
  }

  #newInode(): number {
    const id = this.#nextIno++;
    this.#inodes.set(id, { id, cur: new Image(), dur: new Image(), log: [] });
    return id;
  }

  #file(fd: number, syscall: string, write = false): OpenFile {
    this.#live(syscall);
    const f = this.#fds.get(fd);
    if (!f || f.pid !== this.#caller) throw errnoError('EBADF', syscall, String(fd), 'bad file descriptor');
    if (write && !f.writable) throw errnoError('EBADF', syscall, f.path, 'not open for writing');
    f.path = this.#pathOf(f);
    return f;
  }

  /** The file's current name (it may have been renamed since it was opened). */
  #pathOf(f: OpenFile): string {
    const d = this.#dirs.get(posix.dirname(f.path));
    if (d?.live.get(posix.basename(f.path)) === f.ino) return f.path;
    for (const [p, dir] of this.#dirs) for (const [name, id] of dir.live) if (id === f.ino) return posix.join(p, name);
    return f.path;
  }

  #int(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  #pickMode(): CrashMode {
    const x = this.#rand();
    return x < 0.2 ? 'none' : x < 0.35 ? 'all' : x < 0.65 ? 'prefix' : 'torn';
  }

  #trace(line: string): void {
    if (this.trace) this.trace(line);
  }

  #notify(kind: 'crash' | 'kill'): void {
    for (const w of this.#crashWaiters.splice(0)) w(kind);
  }

  #die(): void {
    this.#generation++;
    this.#fds.clear();
    this.#locks.clear();
    this.#lockHandles.clear();
    this.#alive.clear();
    this.#crashIn = null;
    const restore = this.#caller === this.#defaultPid;
    this.#defaultPid = this.#newPid();
    if (restore) this.#caller = this.#defaultPid;
  }

  #newPid(): number {
    const pid = this.#nextPid++;
    this.#alive.add(pid);
    return pid;
  }

  #killPid(pid: number): void {
    this.#alive.delete(pid);
    for (const [fd, f] of [...this.#fds]) if (f.pid === pid) this.#fds.delete(fd);
    for (const [p, l] of [...this.#locks]) {
      if (l.pid === pid) {
        this.#locks.delete(p);
        this.#lockHandles.delete(l.handle);
      }
    }
    if (pid === this.#defaultPid) this.#defaultPid = this.#newPid();
  }

  /** The calling process, which must be alive (a dead one's synchronous calls throw). */
  #live(what: string): number {
    if (!this.#alive.has(this.#caller)) throw new SimCrashError(`${what} by a dead process`);
    return this.#caller;
  }

  #pathsByInode(): Map<number, string> {
    const m = new Map<number, string>();
    for (const [p, d] of this.#dirs) for (const [name, id] of d.dur) m.set(id, posix.join(p, name));
    return m;
  }

  /** Counts one operation; fires an armed crash (returns true: the operation must not happen). */
  #tick(what: string): boolean {
    this.stats.ops++;
    this.#trace(what);
    const c = this.#crashIn;
    if (c && (!c.match || c.match.test(what)) && --c.left <= 0) {
      this.#crashIn = null;
      if (c.kind === 'crash') this.crash();
      else this.kill();
      return true;
    }
    return false;
  }

  /** A synchronous operation: an armed crash interrupts it by throwing. */
  #step(what: string): void {
    if (this.#tick(what)) throw new SimCrashError(what);
  }

  /** One async phase on a later event-loop turn; never settles if the process died before it ran. */
  #phase<T>(what: string, pid: number, fn: () => T): Promise<T> {
    const extra = this.#opts.maxExtraTicks > 0 ? this.#int(this.#opts.maxExtraTicks + 1) : 0;
    return new Promise<T>((resolve, reject) => {
      let turns = extra;
      const run = () => {
        if (!this.#alive.has(pid)) return;
        if (turns-- > 0) return void setImmediate(run);
        if (this.#tick(what)) return;
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      };
      setImmediate(run);
    });
  }

  /** Returns (or throws, when `raise`) the injected error for this operation, if one is due. */
  #fault(op: SimOp, path: string, raise = true): (Error & { code: string }) | null {
    for (let i = 0; i < this.#faults.length; i++) {
      const f = this.#faults[i]!;
      if (f.op !== op) continue;
      if (f.path !== undefined && !(typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))) continue;
      if (f.left-- > 0) continue;
      this.#faults.splice(i, 1);
      this.stats.faultsFired++;
      const err = errnoError(f.code ?? 'EIO', SYSCALL[op], path, 'injected');
      (err as { pages?: PagesAfterSyncError }).pages = f.pages;
      this.#trace(`FAULT ${op} ${path} ${err.code}`);
      if (raise) throw err;
      return err;
    }
    return null;
  }

  #write(f: OpenFile, position: number, data: Uint8Array): void {
    const ino = this.#inodes.get(f.ino)!;
    const fault = this.#fault('write', this.#pathOf(f), false);
    let d = data;
    if (fault) d = data.subarray(0, this.#int(data.length + 1)); // a short write before the error
    if (d.length > 0) {
      ino.cur.write(position, d);
      ino.log.push({ t: 'w', pos: position, data: d.slice() });
      this.stats.writes++;
      this.stats.bytesWritten += d.length;
    }
    if (fault) throw fault;
  }

  #sync(f: OpenFile): void {
    const ino = this.#inodes.get(f.ino)!;
    this.stats.syncs++;
    const path = this.#pathOf(f);
    this.stats.syncsByPath.set(path, (this.stats.syncsByPath.get(path) ?? 0) + 1);
    const fault = this.#fault('sync', path, false) as (Error & { code: string; pages?: PagesAfterSyncError }) | null;
    if (fault) {
      // Linux: some of the dirty data may be on disk, the rest is lost, and
      // the pages are marked clean either way (the error is reported once).
      const partial: CrashMode = (['none', 'prefix', 'torn'] as const)[this.#int(3)]!;
      ino.dur = this.#resolve(ino, partial);
      ino.log = [];
      const pages = fault.pages && fault.pages !== 'random' ? fault.pages : this.#rand() < 0.5 ? 'keep' : 'drop';
      if (pages === 'drop') ino.cur = ino.dur.clone();
      this.#trace(`sync error: ${partial} reached the disk, cache ${pages}`);
      throw fault;
    }
    if (ino.log.length > 0) {
      ino.dur = replay(ino.dur, ino.log);
      ino.log = [];
    }
  }

  /** The image a crash leaves of this file under `mode`. */
  #resolve(ino: Inode, mode: CrashMode): Image {
    if (mode === 'none' || ino.log.length === 0) return ino.dur.clone();
    if (mode === 'all') return replay(ino.dur, ino.log);
    const S = this.#opts.sector;
    if (mode === 'prefix') {
      const k = this.#int(ino.log.length + 1);
      const img = replay(ino.dur, ino.log.slice(0, k));
      const op = ino.log[k];
      if (op && op.t === 'w' && op.data.length > 0) {
        // The next write is cut at a sector boundary; the size may be ahead of the data.
        const end = op.pos + op.data.length;
        const firstBoundary = Math.ceil((op.pos + 1) / S) * S;
        const cuts: number[] = [op.pos];
        for (let b = firstBoundary; b < end; b += S) cuts.push(b);
        const cut = cuts[this.#int(cuts.length)]!;
        if (cut > op.pos) img.write(op.pos, op.data.subarray(0, cut - op.pos));
        if (this.#rand() < 0.3 && end > img.len) img.truncate(end);
      }
      return img;
    }
    // torn: every dirty sector independently old or new; the size anywhere from old to new.
    const all = replay(ino.dur, ino.log);
    const old = ino.dur;
    const dirty = new Set<number>();
    let prevLen = old.len;
    for (const op of ino.log) {
      if (op.t === 'w') {
        for (let s = Math.floor(op.pos / S); s * S < op.pos + op.data.length; s++) dirty.add(s);
        prevLen = Math.max(prevLen, op.pos + op.data.length);
      } else {
        const lo = Math.min(op.len, prevLen);
        const hi = Math.max(op.len, prevLen);
        for (let s = Math.floor(lo / S); s * S < hi; s++) dirty.add(s);
        prevLen = op.len;
      }
    }
    const p = 0.2 + 0.6 * this.#rand();
    const maxLen = Math.max(all.len, old.len);
    const img = new Image(new Uint8Array(Math.max(16, maxLen)), maxLen);
    img.data.set(old.data.subarray(0, old.len));
    let highest = old.len;
    for (const s of [...dirty].sort((a, b) => a - b)) {
      const lo = s * S;
      const hi = Math.min(lo + S, maxLen);
      if (lo >= maxLen) continue;
      if (this.#rand() < p) {
        img.data.fill(0, lo, hi);
        img.data.set(all.data.subarray(lo, Math.min(hi, all.len)), lo);
        highest = Math.max(highest, Math.min(hi, all.len));
      }
    }
    let len: number;
    if (all.len >= old.len) {
      const x = this.#rand();
      len = x < 0.3 ? old.len : x < 0.6 ? all.len : Math.min(all.len, Math.max(old.len, highest));
      // Bytes past the old size that were not written back read as zeros (already so).
    } else {
      len = this.#rand() < 0.5 ? old.len : all.len;
    }
    img.truncate(len);
    return img;
  }
}

export interface SimSnapshot {
  inodes: Map<number, { cur: Image; dur: Image; log: FileOp[] }>;
  dirs: Map<string, Dir>;
  nextIno: number;
}
