/**
 * The sealed-segment ledger (`sealed.ledger` in the journal directory): for each
 * sealed segment still on disk, its record count, the CRC32C of its whole file,
 * when it was sealed and whether the application has shipped it. Retention reads
 * it (age, keepUnshipped), stats() reads it (lag in records), the shipping hook is
 * told from it. Replaced crash-safely (durable-file.ts) on every change.
 *
 * A segment sealed just before a crash has no entry yet: the next open scans it
 * and reports it again (the shipping hook is at-least-once). A damaged ledger is
 * rebuilt by scanning: counts and CRCs come back, shipped marks and seal times do
 * not (segments are then kept as unshipped, the safe side, and aged from the rebuild).
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { crc32c } from '../hash/index.js';
import { filePos } from '../format/segment.js';
import { readSmallFile, writeDurableFile } from './durable-file.js';
import { readFrameBlock } from './read/segment-frames.js';
import type { Segment } from './segments.js';

const LEDGER_FILE = 'sealed.ledger';
const MAX_LEDGER_BYTES = 64 << 20;
const BLOCK = 1 << 20;

/** A sealed segment, as onSegmentSealed and sealedSegments() report it. */
export interface SealedSegmentInfo {
  /** File name, e.g. 00000000000000000000.wal. */
  name: string;
  /** Global offset of its first record. */
  base: number;
  /** Global offset just past its last record (the next segment's base). */
  end: number;
  records: number;
  /** CRC32C of the whole file (header and records), as `crc32c(readFileSync(path))` computes it. */
  crc32c: number;
  /** File size in bytes. */
  bytes: number;
  /** When the journal sealed it (ms since the epoch, the journal's clock); retention's age counts from here. */
  sealedAt: number;
  /** markShipped() was called for it. */
  shipped: boolean;
}

export class Ledger {
  readonly entries = new Map<number, SealedSegmentInfo>();
  /** The file was there but unreadable at load: rebuilt from the segments. */
  damaged = false;
  #saving: Promise<void> = Promise.resolve();

  constructor(
    readonly io: JournalIO,
    readonly dir: string,
  ) {}

  load(): void {
    const bytes = readSmallFile(this.io, join(this.dir, LEDGER_FILE), MAX_LEDGER_BYTES);
    if (bytes === null) return;
    const text = Buffer.from(bytes).toString('utf8');
    const nl = text.indexOf('\n');
    const body = nl < 0 ? '' : text.slice(0, nl);
    const sum = nl < 0 ? '' : text.slice(nl + 1).trim();
    try {
      if (sum !== crc32c(Buffer.from(body, 'utf8')).toString(16).padStart(8, '0')) throw new Error('crc32c mismatch');
      const parsed = JSON.parse(body) as { version: number; segments: SealedSegmentInfo[] };
      if (parsed.version !== 1 || !Array.isArray(parsed.segments)) throw new Error('unknown version');
      for (const e of parsed.segments) this.entries.set(e.base, e);
    } catch {
      this.entries.clear();
      this.damaged = true;
    }
  }

  /** Writes the ledger durably; saves run one after another, each with the entries as they are then. */
  save(): Promise<void> {
    const run = this.#saving
      .catch(() => {})
      .then(() => {
        const body = JSON.stringify({ version: 1, segments: [...this.entries.values()].sort((a, b) => a.base - b.base) });
        const sum = crc32c(Buffer.from(body, 'utf8')).toString(16).padStart(8, '0');
        return writeDurableFile(this.io, this.dir, LEDGER_FILE, Buffer.from(`${body}\n${sum}\n`, 'utf8'));
      });
    this.#saving = run;
    return run;
  }

  /** Drops entries of segments no longer on disk. */
  prune(bases: ReadonlySet<number>): boolean {
    let changed = false;
    for (const base of this.entries.keys()) {
      if (!bases.has(base)) {
        this.entries.delete(base);
        changed = true;
      }
    }
    return changed;
  }
}

/** Lets other work run between blocks: scanning a large segment must not hold up appends. */
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Record count and whole-file CRC32C of a sealed segment, read in 1 MiB blocks with
 * a turn of the event loop between blocks. Records of a segment this process did not
 * create (group commit counts the others) are counted by verifying each
 * frame (never hopping by an unverified length); counting stops at the first frame
 * that fails (a damaged segment's count is of its verified prefix).
 */
export async function scanSealed(io: JournalIO, seg: Segment): Promise<{ records: number; crc32c: number; bytes: number }> {
  const fileBytes = filePos(seg, seg.end);
  let crc = 0;
  for (let pos = 0; pos < fileBytes; pos += BLOCK) {
    const block = new Uint8Array(Math.min(BLOCK, fileBytes - pos));
    const n = io.pread(seg.fd, block, pos);
    crc = crc32c(block.subarray(0, n), crc);
    if (n < block.length) break;
    await yieldTurn();
  }
  // Group commit counted the records of a segment this process created; others are counted by verifying.
  const records = seg.records ?? (await countRecords(io, seg, seg.base, seg.end));
  return { records, crc32c: crc >>> 0, bytes: fileBytes };
}

/** Verified records of `seg` in [from, to) (`from` a record boundary), a turn of the event loop between blocks. */
async function countRecords(io: JournalIO, seg: Segment, from: number, to: number): Promise<number> {
  let count = 0;
  for (let pos = from; pos < to; ) {
    const step = countBlock(io, seg, pos, to);
    if (step.count === 0) break;
    count += step.count;
    pos = step.next;
    await yieldTurn();
  }
  return count;
}

/** countRecords() without yielding, for short ranges (the active segment's new records). */
export function countRecordsSync(io: JournalIO, seg: Segment, from: number, to: number): { count: number; next: number } {
  let count = 0;
  let pos = from;
  while (pos < to) {
    const step = countBlock(io, seg, pos, to);
    if (step.count === 0) break;
    count += step.count;
    pos = step.next;
  }
  return { count, next: pos };
}

/** The verified frames in one block from `pos` (or the one record larger than a block). */
function countBlock(io: JournalIO, seg: Segment, pos: number, to: number): { count: number; next: number } {
  const block = new Uint8Array(Math.min(BLOCK, to - pos));
  const { bytes, got, walk } = readFrameBlock(io, seg, block, pos, to, false);
  // A short read (the file shrank under us) counts nothing: the count is of whole blocks.
  if (bytes === block && got !== block.length) return { count: 0, next: pos };
  return { count: walk.count, next: pos + walk.pos };
}
