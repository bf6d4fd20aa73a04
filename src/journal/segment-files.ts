/**
 * A bounded set of open segment files (like RocksDB's max_open_files): a journal
 * of many segments must not hold one descriptor per segment for its whole life
 * (EMFILE at rotation, or at open). Least recently used files are closed and
 * reopened on demand. Never closed while in use: the active segment (writes and
 * syncs run on it asynchronously) and segments an iterator has pinned (a reader's
 * pinned segment stays readable even after the writer deleted it).
 */
import type { JournalIO } from '../io/types.js';
import { OffsetError } from '../errors.js';

export const DEFAULT_MAX_OPEN_SEGMENTS = 64;

/** What SegmentFiles needs to know about a segment. */
interface SegmentFileRef {
  readonly name: string;
  readonly path: string;
  readonly pins: number;
}

export class SegmentFiles<S extends SegmentFileRef> {
  /** Open files, least recently used first (a Map keeps insertion order). */
  readonly #open = new Map<S, number>();
  #mru: S | null = null;

  constructor(
    readonly io: JournalIO,
    readonly limit: number,
    /** The mode a segment is (re)opened with, and whether it may be closed now. */
    readonly modeOf: (seg: S) => 'r' | 'rw',
    readonly inUse: (seg: S) => boolean,
  ) {}

  get openCount(): number {
    return this.#open.size;
  }

  /** The open descriptor of `seg`, opening it (and closing the least recently used) if needed. */
  fdOf(seg: S): number {
    const fd = this.#open.get(seg);
    if (fd !== undefined) {
      if (this.#mru !== seg) {
        this.#open.delete(seg);
        this.#open.set(seg, fd);
        this.#mru = seg;
      }
      return fd;
    }
    let opened: number;
    try {
      opened = this.io.open(seg.path, this.modeOf(seg));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') throw new OffsetError('OFFSET_CLEANED', `segment ${seg.name} is gone (cleaned up by the writer)`);
      throw err;
    }
    this.adopt(seg, opened);
    return opened;
  }

  /** Takes over an already open descriptor of `seg` (a segment just created or checked). */
  adopt(seg: S, fd: number): void {
    const old = this.#open.get(seg);
    if (old !== undefined && old !== fd) this.io.close(old);
    this.#open.delete(seg);
    this.#open.set(seg, fd);
    this.#mru = seg;
    this.#evict();
  }

  /** Closes `seg`'s file if it is open. */
  close(seg: S): void {
    const fd = this.#open.get(seg);
    if (fd === undefined) return;
    this.#open.delete(seg);
    if (this.#mru === seg) this.#mru = null;
    this.io.close(fd);
  }

  closeAll(): void {
    const fds = [...this.#open.values()];
    this.#open.clear();
    this.#mru = null;
    for (const fd of fds) {
      try {
        this.io.close(fd);
      } catch {
        // already closed by a failed operation; nothing left to release
      }
    }
  }

  #evict(): void {
    if (this.#open.size <= this.limit) return;
    for (const seg of this.#open.keys()) {
      if (this.#open.size <= this.limit) break;
      if (seg === this.#mru || seg.pins > 0 || this.inUse(seg)) continue;
      this.close(seg);
    }
  }
}
