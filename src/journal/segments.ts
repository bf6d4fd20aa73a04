/**
 * SegmentManager: the sorted list of segment files of one journal directory,
 * resolve(offset) by binary search, durable creation (rule 1) and cursor-based
 * deletion (rule 2). Reading and writing records is done by others.
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { CorruptionError, SegmentFormatError } from '../errors.js';
import {
  FORMAT_VERSION,
  SEGMENT_HEADER,
  SEGMENT_SUFFIX,
  TMP_SUFFIX,
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentName,
  segmentName,
} from './format.js';

export interface Gap {
  /** Global offsets [from, to) that salvage recovery skipped. */
  from: number;
  to: number;
}

export interface Segment {
  readonly base: number;
  readonly name: string;
  readonly path: string;
  /** Format version from the header: 3 binds each frame's CRC to its offset, 2 does not. */
  readonly version: number;
  /** Global offset just past the last byte of record data. */
  end: number;
  fd: number;
  /** Regions recovery skipped ('salvage'): reads there fail with OFFSET_SKIPPED. */
  gaps: Gap[];
  /** Live in-process iterators reading this segment: cleanup leaves it alone. */
  pins: number;
}

export class SegmentManager {
  readonly segments: Segment[] = [];

  constructor(
    readonly io: JournalIO,
    readonly dir: string,
    readonly writable: boolean,
  ) {}

  get first(): Segment | undefined {
    return this.segments[0];
  }
  get last(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** Removes leftover temporary files of interrupted segment creations (writer only). */
  removeTemporaries(): string[] {
    const removed: string[] = [];
    for (const name of this.io.readdir(this.dir)) {
      if (name.endsWith(SEGMENT_SUFFIX + TMP_SUFFIX)) {
        this.io.unlink(join(this.dir, name));
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * Lists and opens every segment, checks each header and that the segments are
   * contiguous (rule 6). The last one is opened read-write for a writer.
   */
  load(): void {
    const names = this.io.readdir(this.dir).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
    const found: Segment[] = [];
    try {
      for (const [i, name] of names.entries()) {
        const base = parseSegmentName(name);
        if (base === null) throw new SegmentFormatError(name, 'file name is not a 20-digit base offset');
        const path = join(this.dir, name);
        const fd = this.io.open(path, this.writable && i === names.length - 1 ? 'rw' : 'r');
        let closeFd = true;
        try {
          const header = new Uint8Array(SEGMENT_HEADER);
          const n = this.io.pread(fd, header, 0);
          const { base: headerBase, version } = decodeSegmentHeader(header.subarray(0, n), name);
          if (headerBase !== base) throw new SegmentFormatError(name, `header says base ${headerBase}, name says ${base}`);
          found.push({ base, name, path, version, end: base + Math.max(0, this.io.size(fd) - SEGMENT_HEADER), fd, gaps: [], pins: 0 });
          closeFd = false;
        } finally {
          if (closeFd) this.io.close(fd);
        }
      }
      for (let i = 1; i < found.length; i++) {
        const prev = found[i - 1]!;
        const cur = found[i]!;
        if (prev.end !== cur.base) {
          throw new CorruptionError(prev.name, prev.end - prev.base + SEGMENT_HEADER, prev.end < cur.base ? 'segment gap' : 'segment overlap',
            `${prev.name} ends at offset ${prev.end} but ${cur.name} starts at ${cur.base}`);
        }
      }
    } catch (err) {
      for (const s of found) this.io.close(s.fd);
      throw err;
    }
    this.segments.push(...found);
  }

  /** Re-reads the directory (readers: the writer rotated or cleaned up). Keeps open fds. */
  refresh(): void {
    const names = new Set(this.io.readdir(this.dir).filter((n) => parseSegmentName(n) !== null));
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (!names.has(s.name) && s.pins === 0) {
        this.io.close(s.fd);
        this.segments.splice(i, 1);
      }
    }
    const known = new Set(this.segments.map((s) => s.name));
    for (const name of [...names].sort()) {
      if (known.has(name)) continue;
      const base = parseSegmentName(name)!;
      const path = join(this.dir, name);
      let fd: number;
      try {
        fd = this.io.open(path, 'r');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') continue; // cleaned up meanwhile
        throw err;
      }
      const header = new Uint8Array(SEGMENT_HEADER);
      const n = this.io.pread(fd, header, 0);
      let version: number;
      try {
        version = decodeSegmentHeader(header.subarray(0, n), name).version;
      } catch (err) {
        this.io.close(fd);
        if (n < SEGMENT_HEADER) continue; // being created by the writer right now
        throw err;
      }
      this.segments.push({ base, name, path, version, end: base, fd, gaps: [], pins: 0 });
    }
    this.segments.sort((a, b) => a.base - b.base);
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const next = this.segments[i + 1];
      s.end = next ? next.base : s.base + Math.max(0, this.io.size(s.fd) - SEGMENT_HEADER);
    }
  }

  /** The segment holding `offset` (largest base <= offset), or undefined below the first. */
  resolve(offset: number): Segment | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = segs[mid]!;
      if (s.base <= offset) {
        found = s;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The segment after `seg`, if any. */
  after(seg: Segment): Segment | undefined {
    const i = this.segments.indexOf(seg);
    return i >= 0 ? this.segments[i + 1] : undefined;
  }

  /**
   * Creates the segment starting at `base` durably (rule 1): header written to a
   * temporary file and synced, renamed into place, directory synced. Only then
   * may a record in it be acknowledged.
   */
  async create(base: number): Promise<Segment> {
    const name = segmentName(base);
    const path = join(this.dir, name);
    const tmp = path + TMP_SUFFIX;
    const fd = this.io.open(tmp, 'create-new');
    try {
      await this.io.writev(fd, [encodeSegmentHeader(base)], 0, true);
      this.io.rename(tmp, path);
      await this.io.fsyncDir(this.dir);
    } catch (err) {
      this.io.close(fd);
      throw err;
    }
    const seg: Segment = { base, name, path, version: FORMAT_VERSION, end: base, fd, gaps: [], pins: 0 };
    this.segments.push(seg);
    return seg;
  }

  /**
   * Deletes, oldest first, segments lying wholly below `cursor`: never the last
   * (active) one, never one holding `cursor`, never one an in-process iterator
   * is reading (and nothing after such a one, so no gap appears). Unlinks, then
   * syncs the directory. Returns the removed file names.
   */
  async cleanup(cursor: number): Promise<string[]> {
    const removed: string[] = [];
    while (this.segments.length > 1) {
      const s = this.segments[0]!;
      if (s.end > cursor || s.pins > 0) break;
      this.io.unlink(s.path);
      this.io.close(s.fd);
      this.segments.shift();
      removed.push(s.name);
    }
    if (removed.length > 0) await this.io.fsyncDir(this.dir);
    return removed;
  }

  closeAll(): void {
    for (const s of this.segments.splice(0)) {
      try {
        this.io.close(s.fd);
      } catch {
        // already closed by a failed operation; nothing left to release
      }
    }
  }
}

/** File position of a global offset inside its segment. */
export function filePos(seg: Segment, offset: number): number {
  return SEGMENT_HEADER + (offset - seg.base);
}
