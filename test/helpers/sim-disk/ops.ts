/** The simulated disk's JournalIO operations (see ../sim-disk.ts). */
import type { JournalIO, WatermarkWrite } from '../../../src/io/types.js';
import { decodeWatermark } from '../../../src/format/watermark.js';
import { posix } from 'node:path';
import { errnoError, OpenFile } from './types.js';
import { SimDiskBase } from './base.js';

export abstract class SimDiskOps extends SimDiskBase implements JournalIO {
  // ------------------------------------------------------------- JournalIO

  mkdirp(dir: string): void {
    this._live('mkdir');
    const p = this._norm(dir);
    const parts = p.split('/').filter(Boolean);
    let cur = '/';
    for (const part of parts) {
      cur = posix.join(cur, part);
      if (!this._dirs.has(cur)) {
        const parent = this._dirs.get(posix.dirname(cur));
        if (parent?.live.has(part)) throw errnoError('EEXIST', 'mkdir', cur, 'a file has that name');
        this._dirs.set(cur, { live: new Map(), dur: new Map(), log: [] });
      }
    }
  }

  readdir(dir: string): string[] {
    this._live('scandir');
    const p = this._norm(dir);
    const d = this._dirs.get(p);
    if (!d) throw errnoError('ENOENT', 'scandir', p);
    const names = [...d.live.keys()];
    for (const sub of this._dirs.keys()) if (sub !== p && posix.dirname(sub) === p) names.push(posix.basename(sub));
    return names;
  }

  exists(path: string): boolean {
    this._live('access');
    const p = this._norm(path);
    if (this._dirs.has(p)) return true;
    const d = this._dirs.get(posix.dirname(p));
    return d !== undefined && d.live.has(posix.basename(p));
  }

  open(path: string, mode: 'r' | 'rw' | 'create' | 'create-new'): number {
    const p = this._norm(path);
    const pid = this._live('open');
    this._step(`open ${p} ${mode}`);
    this._fault('open', p);
    const dir = this._dirs.get(posix.dirname(p));
    if (!dir) throw errnoError('ENOENT', 'open', p);
    if (this._dirs.has(p)) throw errnoError('EISDIR', 'open', p);
    const name = posix.basename(p);
    let id = dir.live.get(name);
    if (id !== undefined && mode === 'create-new') throw errnoError('EEXIST', 'open', p);
    if (id === undefined) {
      if (mode === 'r' || mode === 'rw') throw errnoError('ENOENT', 'open', p);
      if (mode !== 'create' && mode !== 'create-new')
        throw Object.assign(new TypeError(`open: unknown mode ${JSON.stringify(mode)}`), { code: 'ERR_INVALID_ARG_VALUE' });
      id = this._newInode();
      dir.live.set(name, id);
      dir.log.push([[name, id]]);
    }
    const fd = this._nextFd++;
    this._fds.set(fd, { ino: id, path: p, writable: mode !== 'r', pid });
    return fd;
  }

  close(fd: number): void {
    this._file(fd, 'close');
    this._fds.delete(fd);
  }

  size(fd: number): number {
    return this._inodes.get(this._file(fd, 'fstat').ino)!.cur.len;
  }

  pread(fd: number, buf: Uint8Array, position: number): number {
    const f = this._file(fd, 'pread');
    const ino = this._inodes.get(f.ino)!;
    if (this._faults.length > 0) this._fault('read', this._pathOf(f));
    this.stats.preads++;
    this.stats.maxPreadBytes = Math.max(this.stats.maxPreadBytes, buf.length);
    this.stats.maxPreadOvershoot = Math.max(this.stats.maxPreadOvershoot, position + buf.length - Math.max(position, ino.cur.len));
    return ino.cur.read(position, buf);
  }

  writev(fd: number, buffers: readonly Uint8Array[], position: number, sync: boolean, watermark?: WatermarkWrite): Promise<number> {
    if (!this._alive.has(this._caller)) return new Promise(() => {});
    let f: OpenFile;
    let wm: OpenFile | undefined;
    try {
      f = this._file(fd, 'pwritev', true);
      if (watermark) wm = this._file(watermark.fd, 'pwritev', true);
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
    const pid = this._caller;
    return (async () => {
      await this._phase(`write ${f.path} @${position}+${total}`, pid, () => this._write(f, position, data));
      if (sync) await this._phase(`sync ${f.path}`, pid, () => this._sync(f));
      if (watermark) await this._phase(`publish ${wm!.path}=${decodeWatermark(watermark.record)}`, pid, () => this._write(wm!, 0, watermark.record));
      return total;
    })();
  }

  fsync(fd: number): Promise<void> {
    if (!this._alive.has(this._caller)) return new Promise(() => {});
    let f: OpenFile;
    try {
      f = this._file(fd, 'fdatasync');
    } catch (err) {
      return Promise.reject(err);
    }
    return this._phase(`fsync ${f.path}`, this._caller, () => this._sync(f));
  }

  truncate(fd: number, length: number): void {
    this._live('ftruncate');
    const f = this._file(fd, 'ftruncate', true);
    this._step(`truncate ${f.path} ${length}`);
    this._fault('truncate', f.path);
    const ino = this._inodes.get(f.ino)!;
    ino.cur.truncate(length);
    ino.log.push({ t: 't', len: length });
  }

  fsyncDir(dir: string): Promise<void> {
    const p = this._norm(dir);
    if (!this._alive.has(this._caller)) return new Promise(() => {});
    return this._phase(`fsyncDir ${p}`, this._caller, () => {
      const d = this._dirs.get(p);
      if (!d) throw errnoError('ENOENT', 'open', p);
      this.stats.dirSyncs++;
      const fault = this._fault('fsyncDir', p, false);
      if (fault) {
        // Part of the changes may have been committed before the error.
        const k = this._int(d.log.length + 1);
        for (const change of d.log.slice(0, k)) for (const [name, ino] of change) ino === null ? d.dur.delete(name) : d.dur.set(name, ino);
        d.log = d.log.slice(k);
        throw fault;
      }
      d.dur = new Map(d.live);
      d.log = [];
    });
  }

  rename(from: string, to: string): void {
    const a = this._norm(from);
    const b = this._norm(to);
    this._live('rename');
    this._step(`rename ${a} ${b}`);
    this._fault('rename', a);
    const da = this._dirs.get(posix.dirname(a));
    const db = this._dirs.get(posix.dirname(b));
    const id = da?.live.get(posix.basename(a));
    if (!da || !db || id === undefined) throw errnoError('ENOENT', 'rename', a);
    da.live.delete(posix.basename(a));
    db.live.set(posix.basename(b), id);
    if (da === db) {
      da.log.push([
        [posix.basename(b), id],
        [posix.basename(a), null],
      ]);
    } else {
      db.log.push([[posix.basename(b), id]]);
      da.log.push([[posix.basename(a), null]]);
    }
  }

  unlink(path: string): void {
    const p = this._norm(path);
    this._live('unlink');
    this._step(`unlink ${p}`);
    this._fault('unlink', p);
    const d = this._dirs.get(posix.dirname(p));
    const name = posix.basename(p);
    if (!d || !d.live.has(name)) throw errnoError('ENOENT', 'unlink', p);
    d.live.delete(name);
    d.log.push([[name, null]]);
  }

  lock(path: string): number {
    const p = this._norm(path);
    const pid = this._live('lock');
    if (this._locks.has(p)) throw Object.assign(new Error(`${p} is locked (by simulated process ${this._locks.get(p)!.pid})`), { code: 'ELOCKED' });
    const d = this._dirs.get(posix.dirname(p));
    if (!d) throw errnoError('ENOENT', 'open', p);
    const name = posix.basename(p);
    if (!d.live.has(name)) {
      const id = this._newInode();
      d.live.set(name, id);
      d.log.push([[name, id]]);
    }
    const h = this._nextFd++;
    this._locks.set(p, { handle: h, pid });
    this._lockHandles.set(h, p);
    return h;
  }

  unlock(handle: number): void {
    this._live('unlock');
    const p = this._lockHandles.get(handle);
    if (p === undefined || this._locks.get(p)?.pid !== this._caller) throw errnoError('EBADF', 'unlock', String(handle));
    this._lockHandles.delete(handle);
    this._locks.delete(p);
  }
}
