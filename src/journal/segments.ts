/**
 * SegmentManager: the sorted list of segment files of one journal directory,
 * resolve(offset) by binary search, durable creation (rule 1) and cursor-based
 * deletion (rule 2). Reading and writing records is done by others.
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { DEFAULT_MAX_OPEN_SEGMENTS, SegmentFiles } from './segment-files.js';
import { CorruptionError, SegmentFormatError } from '../errors.js';
import {
  FORMAT_VERSION,
  SEGMENT_HEADER,
  SEGMENT_SUFFIX,
  TMP_SUFFIX,
  dataEnd,
  decodeSegmentHeader,
  encodeSegmentHeader,
  filePos,
  parseSegmentName,
  segmentName,
} from '../format/segment.js';

export interface Gap {
  /** Global offsets [from, to) that salvage recovery skipped. */
  from: number;
  to: number;
}

/** One segment file. Its descriptor is opened on demand from a bounded set (SegmentFiles). */
export class Segment {
  /** Regions recovery skipped ('salvage'): reads there fail with OFFSET_SKIPPED. */
  gaps: Gap[] = [];
  /** Live in-process iterators reading this segment: cleanup leaves it alone, its file stays open. */
  pins = 0;
  /** Records written to it, when this process created it (group commit counts them); null if unknown. */
  records: number | null = null;

  constructor(
    readonly base: number,
    readonly name: string,
    readonly path: string,
    /** Format version from the header: 3 binds each frame's CRC to its offset, 2 does not. */
    readonly version: number,
    /** Global offset just past the last byte of record data. */
    public end: number,
    readonly files: SegmentFiles<Segment>,
  ) {}

  /** The open file, reopened if it was closed to stay under the limit of open segment files. */
  get fd(): number {
    return this.files.fdOf(this);
  }

  /** The skipped region holding global offset `offset`, if any. */
  gapAt(offset: number): Gap | undefined {
    for (const g of this.gaps) if (g.from <= offset && offset < g.to) return g;
    return undefined;
  }

  /** Where the first skipped region at or after `offset` starts (Infinity if none). */
  nextGapFrom(offset: number): number {
    let min = Number.POSITIVE_INFINITY;
    for (const g of this.gaps) if (g.from >= offset && g.from < min) min = g.from;
    return min;
  }
}

/** A segment below the cleanup cursor that cleanup kept. */
export interface KeptSegment {
  segment: string;
  reason: 'being read by an iterator' | 'after a segment being read' | 'active segment' | 'not yet durable';
}

/** The removed file names, plus what was kept below the cursor and why. */
export type CleanupResult = string[] & { kept: KeptSegment[] };

export class SegmentManager {
  readonly segments: Segment[] = [];

  readonly files: SegmentFiles<Segment>;

  constructor(
    readonly io: JournalIO,
    readonly dir: string,
    readonly writable: boolean,
    maxOpenSegments = DEFAULT_MAX_OPEN_SEGMENTS,
  ) {
    // Only the active (last) segment of a writer is written; only it must stay open.
    this.files = new SegmentFiles<Segment>(
      io,
      maxOpenSegments,
      (seg) => (this.writable && seg === this.last ? 'rw' : 'r'),
      (seg) => seg === this.last,
    );
  }

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
    const names = this.io
      .readdir(this.dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort();
    const found: Segment[] = [];
    try {
      for (const [i, name] of names.entries()) {
        const base = parseSegmentName(name);
        if (base === null) throw new SegmentFormatError(name, 'file name is not a 20-digit base offset');
        const path = join(this.dir, name);
        const fd = this.io.open(path, this.writable && i === names.length - 1 ? 'rw' : 'r');
        let seg: Segment;
        try {
          const header = new Uint8Array(SEGMENT_HEADER);
          const n = this.io.pread(fd, header, 0);
          const { base: headerBase, version } = decodeSegmentHeader(header.subarray(0, n), name);
          if (headerBase !== base) throw new SegmentFormatError(name, `header says base ${headerBase}, name says ${base}`);
          seg = new Segment(base, name, path, version, dataEnd(base, this.io.size(fd)), this.files);
        } catch (err) {
          this.io.close(fd);
          throw err;
        }
        this.files.adopt(seg, fd);
        found.push(seg);
      }
      for (let i = 1; i < found.length; i++) {
        const prev = found[i - 1]!;
        const cur = found[i]!;
        if (prev.end !== cur.base) {
          throw new CorruptionError(
            prev.name,
            filePos(prev, prev.end),
            prev.end < cur.base ? 'segment gap' : 'segment overlap',
            `${prev.name} ends at offset ${prev.end} but ${cur.name} starts at ${cur.base}`,
          );
        }
      }
    } catch (err) {
      for (const s of found) this.files.close(s);
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
        this.files.close(s);
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
      const seg = new Segment(base, name, path, version, base, this.files);
      this.segments.push(seg);
      this.files.adopt(seg, fd);
    }
    this.segments.sort((a, b) => a.base - b.base);
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const next = this.segments[i + 1];
      s.end = next ? next.base : dataEnd(s.base, this.io.size(s.fd));
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
    const seg = new Segment(base, name, path, FORMAT_VERSION, base, this.files);
    seg.records = 0;
    this.segments.push(seg);
    this.files.adopt(seg, fd);
    return seg;
  }

  /**
   * Deletes, oldest first, segments lying wholly below `cursor`: never the last
   * (active) one, never one holding `cursor`, never one an in-process iterator
   * is reading (and nothing after such a one, so no gap appears). Unlinks, then
   * syncs the directory. Returns the removed file names.
   */
  async cleanup(cursor: number, requested = cursor): Promise<CleanupResult> {
    const removed = Object.assign([] as string[], { kept: [] as KeptSegment[] });
    while (this.segments.length > 1) {
      const s = this.segments[0]!;
      if (s.end > cursor || s.pins > 0) break;
      this.io.unlink(s.path);
      this.files.close(s);
      this.segments.shift();
      removed.push(s.name);
    }
    // What a caller expected to go but stays, and why: never silent.
    let blocked = false;
    for (const s of this.segments) {
      if (s.end > requested) break;
      if (s === this.last) removed.kept.push({ segment: s.name, reason: 'active segment' });
      else if (s.pins > 0) {
        blocked = true;
        removed.kept.push({ segment: s.name, reason: 'being read by an iterator' });
      } else if (blocked) removed.kept.push({ segment: s.name, reason: 'after a segment being read' });
      else if (s.end > cursor) removed.kept.push({ segment: s.name, reason: 'not yet durable' });
    }
    if (removed.length > 0) await this.io.fsyncDir(this.dir);
    return removed;
  }

  /** Closes `seg`'s file (if open) and reopens it read-write: it becomes the active segment. */
  reopenWritable(seg: Segment): void {
    this.files.close(seg);
    this.files.adopt(seg, this.io.open(seg.path, 'rw'));
  }

  closeAll(): void {
    this.segments.splice(0);
    this.files.closeAll();
  }
}
