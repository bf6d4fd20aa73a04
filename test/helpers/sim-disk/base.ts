/** The simulated disk's state and internal helpers (see ../sim-disk.ts); split out to keep files small. */
import { posix } from 'node:path';
import { rng } from '../vectors.js';
import {
  SimOp,
  CrashMode,
  PagesAfterSyncError,
  SimDiskOptions,
  SimStats,
  CrashReport,
  SimCrashError,
  SYSCALL,
  errnoError,
  Image,
  Inode,
  Dir,
  OpenFile,
  SimProcess,
  ArmedFault,
  replay,
} from './types.js';

export abstract class SimDiskBase {
  readonly name = 'sim';
  readonly stats: SimStats = {
    ops: 0,
    writes: 0,
    bytesWritten: 0,
    syncs: 0,
    dirSyncs: 0,
    preads: 0,
    maxPreadBytes: 0,
    maxPreadOvershoot: 0,
    faultsFired: 0,
    crashes: 0,
    kills: 0,
    syncsByPath: new Map(),
  };
  /** Every crash() and kill(), most recent last. */
  readonly history: CrashReport[] = [];
  /** Called with a short description of every operation (for debugging a seed). */
  trace: ((line: string) => void) | null = null;

  readonly _opts: Required<Omit<SimDiskOptions, 'crashMode'>> & { crashMode: CrashMode | undefined };
  readonly _rand: () => number;
  _inodes = new Map<number, Inode>();
  _dirs = new Map<string, Dir>();
  _fds = new Map<number, OpenFile>();
  _locks = new Map<string, { handle: number; pid: number }>();
  _lockHandles = new Map<number, string>();
  _alive = new Set<number>();
  _nextPid = 1;
  /** The process the SimDisk's own JournalIO methods act as; replaced at every crash/kill. */
  _defaultPid = 0;
  _caller = 0;
  _nextIno = 1;
  _nextFd = 1000;
  _generation = 0;
  _faults: ArmedFault[] = [];
  _crashIn: { left: number; kind: 'crash' | 'kill'; match: RegExp | undefined } | null = null;
  _crashWaiters: Array<(kind: 'crash' | 'kill') => void> = [];

  constructor(options: SimDiskOptions = {}) {
    this._opts = {
      seed: options.seed ?? 1,
      sector: options.sector ?? 512,
      dirOrder: options.dirOrder ?? 'prefix',
      crashMode: options.crashMode,
      maxExtraTicks: options.maxExtraTicks ?? 2,
    };
    this._rand = rng(this._opts.seed);
    this._defaultPid = this._caller = this._newPid();
    this._dirs.set('/', { live: new Map(), dur: new Map(), log: [] });
  }

  /** Power failure and process death, implemented by SimDisk. */
  abstract crash(options?: { mode?: CrashMode; dirs?: 'none' | 'all' }): CrashReport;
  abstract kill(proc?: SimProcess): CrashReport;

  // --------------------------------------------------------------- internal

  _norm(path: string): string {
    // A POSIX file system: on Windows, node:path joins with '\\', which is a separator here too.
    return posix.resolve('/', path.split('\\').join('/'));
  }

  _dirOf(p: string): Dir {
    const d = this._dirs.get(posix.dirname(p));
    if (!d) throw errnoError('ENOENT', 'open', p);
    return d;
  }

  _lookup(path: string): Inode | undefined {
    const p = this._norm(path);
    const id = this._dirs.get(posix.dirname(p))?.live.get(posix.basename(p));
    return id === undefined ? undefined : this._inodes.get(id);
  }

  _newInode(): number {
    const id = this._nextIno++;
    this._inodes.set(id, { id, cur: new Image(), dur: new Image(), log: [] });
    return id;
  }

  _file(fd: number, syscall: string, write = false): OpenFile {
    this._live(syscall);
    const f = this._fds.get(fd);
    if (!f || f.pid !== this._caller) throw errnoError('EBADF', syscall, String(fd), 'bad file descriptor');
    if (write && !f.writable) throw errnoError('EBADF', syscall, f.path, 'not open for writing');
    f.path = this._pathOf(f);
    return f;
  }

  /** The file's current name (it may have been renamed since it was opened). */
  _pathOf(f: OpenFile): string {
    const d = this._dirs.get(posix.dirname(f.path));
    if (d?.live.get(posix.basename(f.path)) === f.ino) return f.path;
    for (const [p, dir] of this._dirs) for (const [name, id] of dir.live) if (id === f.ino) return posix.join(p, name);
    return f.path;
  }

  _int(n: number): number {
    return Math.floor(this._rand() * n);
  }

  _pickMode(): CrashMode {
    const x = this._rand();
    return x < 0.2 ? 'none' : x < 0.35 ? 'all' : x < 0.65 ? 'prefix' : 'torn';
  }

  _trace(line: string): void {
    if (this.trace) this.trace(line);
  }

  _notify(kind: 'crash' | 'kill'): void {
    for (const w of this._crashWaiters.splice(0)) w(kind);
  }

  _die(): void {
    this._generation++;
    this._fds.clear();
    this._locks.clear();
    this._lockHandles.clear();
    this._alive.clear();
    this._crashIn = null;
    const restore = this._caller === this._defaultPid;
    this._defaultPid = this._newPid();
    if (restore) this._caller = this._defaultPid;
  }

  _newPid(): number {
    const pid = this._nextPid++;
    this._alive.add(pid);
    return pid;
  }

  _killPid(pid: number): void {
    this._alive.delete(pid);
    for (const [fd, f] of [...this._fds]) if (f.pid === pid) this._fds.delete(fd);
    for (const [p, l] of [...this._locks]) {
      if (l.pid === pid) {
        this._locks.delete(p);
        this._lockHandles.delete(l.handle);
      }
    }
    if (pid === this._defaultPid) this._defaultPid = this._newPid();
  }

  /** The calling process, which must be alive (a dead one's synchronous calls throw). */
  _live(what: string): number {
    if (!this._alive.has(this._caller)) throw new SimCrashError(`${what} by a dead process`);
    return this._caller;
  }

  _pathsByInode(): Map<number, string> {
    const m = new Map<number, string>();
    for (const [p, d] of this._dirs) for (const [name, id] of d.dur) m.set(id, posix.join(p, name));
    return m;
  }

  /** Counts one operation; fires an armed crash (returns true: the operation must not happen). */
  _tick(what: string): boolean {
    this.stats.ops++;
    this._trace(what);
    const c = this._crashIn;
    if (c && (!c.match || c.match.test(what)) && --c.left <= 0) {
      this._crashIn = null;
      if (c.kind === 'crash') this.crash();
      else this.kill();
      return true;
    }
    return false;
  }

  /** A synchronous operation: an armed crash interrupts it by throwing. */
  _step(what: string): void {
    if (this._tick(what)) throw new SimCrashError(what);
  }

  /** One async phase on a later event-loop turn; never settles if the process died before it ran. */
  _phase<T>(what: string, pid: number, fn: () => T): Promise<T> {
    const extra = this._opts.maxExtraTicks > 0 ? this._int(this._opts.maxExtraTicks + 1) : 0;
    return new Promise<T>((resolve, reject) => {
      let turns = extra;
      const run = () => {
        if (!this._alive.has(pid)) return;
        if (turns-- > 0) return void setImmediate(run);
        if (this._tick(what)) return;
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
  _fault(op: SimOp, path: string, raise = true): (Error & { code: string }) | null {
    for (let i = 0; i < this._faults.length; i++) {
      const f = this._faults[i]!;
      if (f.op !== op) continue;
      if (f.path !== undefined && !(typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))) continue;
      if (f.left-- > 0) continue;
      this._faults.splice(i, 1);
      this.stats.faultsFired++;
      const err = errnoError(f.code ?? 'EIO', SYSCALL[op], path, 'injected');
      (err as { pages?: PagesAfterSyncError }).pages = f.pages;
      this._trace(`FAULT ${op} ${path} ${err.code}`);
      if (raise) throw err;
      return err;
    }
    return null;
  }

  _write(f: OpenFile, position: number, data: Uint8Array): void {
    const ino = this._inodes.get(f.ino)!;
    const fault = this._fault('write', this._pathOf(f), false);
    let d = data;
    if (fault) d = data.subarray(0, this._int(data.length + 1)); // a short write before the error
    if (d.length > 0) {
      ino.cur.write(position, d);
      ino.log.push({ t: 'w', pos: position, data: d.slice() });
      this.stats.writes++;
      this.stats.bytesWritten += d.length;
    }
    if (fault) throw fault;
  }

  _sync(f: OpenFile): void {
    const ino = this._inodes.get(f.ino)!;
    this.stats.syncs++;
    const path = this._pathOf(f);
    this.stats.syncsByPath.set(path, (this.stats.syncsByPath.get(path) ?? 0) + 1);
    const fault = this._fault('sync', path, false) as (Error & { code: string; pages?: PagesAfterSyncError }) | null;
    if (fault) {
      // Linux: some of the dirty data may be on disk, the rest is lost, and
      // the pages are marked clean either way (the error is reported once).
      const partial: CrashMode = (['none', 'prefix', 'torn'] as const)[this._int(3)]!;
      ino.dur = this._resolve(ino, partial);
      ino.log = [];
      const pages = fault.pages && fault.pages !== 'random' ? fault.pages : this._rand() < 0.5 ? 'keep' : 'drop';
      if (pages === 'drop') ino.cur = ino.dur.clone();
      this._trace(`sync error: ${partial} reached the disk, cache ${pages}`);
      throw fault;
    }
    if (ino.log.length > 0) {
      ino.dur = replay(ino.dur, ino.log);
      ino.log = [];
    }
  }

  /** The image a crash leaves of this file under `mode`. */
  _resolve(ino: Inode, mode: CrashMode): Image {
    if (mode === 'none' || ino.log.length === 0) return ino.dur.clone();
    if (mode === 'all') return replay(ino.dur, ino.log);
    const S = this._opts.sector;
    if (mode === 'prefix') {
      const k = this._int(ino.log.length + 1);
      const img = replay(ino.dur, ino.log.slice(0, k));
      const op = ino.log[k];
      if (op && op.t === 'w' && op.data.length > 0) {
        // The next write is cut at a sector boundary; the size may be ahead of the data.
        const end = op.pos + op.data.length;
        const firstBoundary = Math.ceil((op.pos + 1) / S) * S;
        const cuts: number[] = [op.pos];
        for (let b = firstBoundary; b < end; b += S) cuts.push(b);
        const cut = cuts[this._int(cuts.length)]!;
        if (cut > op.pos) img.write(op.pos, op.data.subarray(0, cut - op.pos));
        if (this._rand() < 0.3 && end > img.len) img.truncate(end);
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
    const p = 0.2 + 0.6 * this._rand();
    const maxLen = Math.max(all.len, old.len);
    const img = new Image(new Uint8Array(Math.max(16, maxLen)), maxLen);
    img.data.set(old.data.subarray(0, old.len));
    let highest = old.len;
    for (const s of [...dirty].sort((a, b) => a - b)) {
      const lo = s * S;
      const hi = Math.min(lo + S, maxLen);
      if (lo >= maxLen) continue;
      if (this._rand() < p) {
        img.data.fill(0, lo, hi);
        img.data.set(all.data.subarray(lo, Math.min(hi, all.len)), lo);
        highest = Math.max(highest, Math.min(hi, all.len));
      }
    }
    let len: number;
    if (all.len >= old.len) {
      const x = this._rand();
      len = x < 0.3 ? old.len : x < 0.6 ? all.len : Math.min(all.len, Math.max(old.len, highest));
      // Bytes past the old size that were not written back read as zeros (already so).
    } else {
      len = this._rand() < 0.5 ? old.len : all.len;
    }
    img.truncate(len);
    return img;
  }
}
