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
import { SimDiskOps } from './sim-disk/ops.js';
import { CrashMode, FaultSpec, CrashReport, Image, FileOp, Dir, SimProcess, IO_METHODS, SimSnapshot } from './sim-disk/types.js';

export * from './sim-disk/types.js';

export class SimDisk extends SimDiskOps {
  /**
   * A JournalIO acting as a separate process: its fds and locks are its own,
   * and once it dies (kill(it), kill(), crash()) every call it makes fails
   * (sync calls throw ECRASHED, async ones never settle), so code of a dead
   * journal still running in this test process cannot touch the disk.
   * The SimDisk's own methods act as a default process that is replaced by a
   * fresh one at every crash and kill.
   */
  process(): SimProcess {
    const pid = this._newPid();
    const disk = this;
    const proc = { name: 'sim', pid } as { -readonly [K in keyof SimProcess]: SimProcess[K] };
    Object.defineProperty(proc, 'alive', { get: () => disk._alive.has(pid) });
    for (const m of IO_METHODS) {
      const fn = SimDisk.prototype[m] as (...args: unknown[]) => unknown;
      (proc as Record<string, unknown>)[m] = (...args: unknown[]) => {
        const prev = disk._caller;
        disk._caller = pid;
        try {
          return fn.apply(disk, args);
        } finally {
          disk._caller = prev;
        }
      };
    }
    return proc as SimProcess;
  }

  /** Bumped by every crash() and kill(). */
  get generation(): number {
    return this._generation;
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
    this._die();
    for (const dir of this._dirs.values()) {
      let keep = dir.log;
      if (options.dirs === 'none') keep = [];
      else if (options.dirs === 'all') keep = dir.log;
      else if (this._opts.dirOrder === 'prefix') keep = dir.log.slice(0, this._int(dir.log.length + 1));
      else keep = dir.log.filter(() => this._rand() < 0.5);
      for (const change of keep) for (const [name, ino] of change) ino === null ? dir.dur.delete(name) : dir.dur.set(name, ino);
      dir.live = new Map(dir.dur);
      dir.log = [];
    }
    const reachable = new Set<number>();
    for (const dir of this._dirs.values()) for (const ino of dir.dur.values()) reachable.add(ino);
    const names = this._pathsByInode();
    for (const [id, ino] of [...this._inodes]) {
      if (!reachable.has(id)) {
        this._inodes.delete(id);
        continue;
      }
      const mode = options.mode ?? this._opts.crashMode ?? this._pickMode();
      const before = ino.cur.len;
      const img = ino.log.length === 0 ? ino.dur : this._resolve(ino, mode);
      report.files.push({ path: names.get(id) ?? `#${id}`, mode: ino.log.length === 0 ? 'none' : mode, before, after: img.len, durable: ino.dur.len });
      ino.cur = img.clone();
      ino.dur = img.clone();
      ino.log = [];
    }
    this.stats.crashes++;
    this.history.push(report);
    this._trace(`CRASH ${report.files.map((f) => `${f.path}:${f.mode}:${f.before}->${f.after}`).join(' ')}`);
    this._notify('crash');
    return report;
  }

  /**
   * Process death: fds and locks are released, the page cache and live
   * directory entries stay. Without an argument every process dies (and the
   * default one is replaced); with one, only that process.
   */
  kill(proc?: SimProcess): CrashReport {
    if (proc) {
      this._killPid(proc.pid);
      const report: CrashReport = { kind: 'kill', files: [] };
      this.stats.kills++;
      this.history.push(report);
      this._trace(`KILL pid ${proc.pid}`);
      return report;
    }
    this._die();
    const reachable = new Set<number>();
    for (const dir of this._dirs.values()) {
      for (const ino of dir.live.values()) reachable.add(ino);
      for (const ino of dir.dur.values()) reachable.add(ino);
      for (const change of dir.log) for (const [, ino] of change) if (ino !== null) reachable.add(ino);
    }
    for (const id of [...this._inodes.keys()]) if (!reachable.has(id)) this._inodes.delete(id);
    const report: CrashReport = { kind: 'kill', files: [] };
    this.stats.kills++;
    this.history.push(report);
    this._trace('KILL');
    this._notify('kill');
    return report;
  }

  /**
   * Arms a crash (or kill) at the n-th operation from now (n >= 1), counting
   * only operations whose trace line matches `match` if given (e.g.
   * /^sync .*\.wal$/: just before a segment's data sync, its write done);
   * null disarms.
   */
  crashAfterOps(n: number | null, kind: 'crash' | 'kill' = 'crash', match?: RegExp): void {
    this._crashIn = n === null ? null : { left: Math.max(1, Math.floor(n)), kind, match };
  }

  get crashArmed(): boolean {
    return this._crashIn !== null;
  }

  /** Resolves at the next crash() or kill() (armed or explicit). */
  whenCrashed(): Promise<'crash' | 'kill'> {
    return new Promise((resolve) => this._crashWaiters.push(resolve));
  }

  /** Makes the (after+1)-th matching operation fail (see FaultSpec). */
  failNext(spec: FaultSpec): void {
    this._faults.push({ ...spec, left: spec.after ?? 0 });
  }

  clearFaults(): void {
    this._faults = [];
  }

  get pendingFaults(): number {
    return this._faults.length;
  }

  // ------------------------------------------------------------- inspection

  /** What a read sees now (page cache), or null if there is no such file. */
  readFile(path: string): Uint8Array | null {
    const ino = this._lookup(path);
    return ino ? ino.cur.bytes() : null;
  }

  /** What survives a crash that loses every unsynced write (ignoring directory entries). */
  durableFile(path: string): Uint8Array | null {
    const ino = this._lookup(path);
    return ino ? ino.dur.bytes() : null;
  }

  /** Replaces (or creates) a file, durably by default: test setup and corruption. */
  writeFile(path: string, data: Uint8Array, durable = true): void {
    const p = this._norm(path);
    const dir = this._dirOf(p);
    const name = posix.basename(p);
    let id = dir.live.get(name);
    if (id === undefined) {
      id = this._newInode();
      dir.live.set(name, id);
      if (durable) dir.dur.set(name, id);
      else dir.log.push([[name, id]]);
    }
    const ino = this._inodes.get(id)!;
    ino.cur = new Image(data.slice(), data.length);
    ino.log = [];
    if (durable) ino.dur = ino.cur.clone();
    else ino.log.push({ t: 't', len: 0 }, { t: 'w', pos: 0, data: data.slice() });
  }

  /** Removes a file durably (test setup). */
  removeFile(path: string): void {
    const p = this._norm(path);
    const dir = this._dirOf(p);
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
    for (const [id, ino] of this._inodes) inodes.set(id, { cur: ino.cur.clone(), dur: ino.dur.clone(), log: ino.log.slice() });
    const dirs = new Map<string, Dir>();
    for (const [p, d] of this._dirs) dirs.set(p, { live: new Map(d.live), dur: new Map(d.dur), log: d.log.slice() });
    return { inodes, dirs, nextIno: this._nextIno };
  }

  /** Restores a snapshot; open fds and locks are dropped. */
  restore(s: SimSnapshot): void {
    this._fds.clear();
    this._locks.clear();
    this._lockHandles.clear();
    this._inodes = new Map();
    for (const [id, i] of s.inodes) this._inodes.set(id, { id, cur: i.cur.clone(), dur: i.dur.clone(), log: i.log.slice() });
    this._dirs = new Map();
    for (const [p, d] of s.dirs) this._dirs.set(p, { live: new Map(d.live), dur: new Map(d.dur), log: d.log.slice() });
    this._nextIno = s.nextIno;
  }

  /** name -> live bytes of every file in `dir` (to compare states). */
  dump(dir: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const name of this.list(dir)) {
      const b = this.readFile(posix.join(this._norm(dir), name));
      if (b) out.set(name, b);
    }
    return out;
  }

  /** Number of open fds (leak checks). */
  get openFds(): number {
    return this._fds.size;
  }
}
