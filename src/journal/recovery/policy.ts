/**
 * Recovery: decides what a crash or damage left and applies the policy.
 *
 * Torn tail vs corruption. Only the end of the last segment can be torn. The
 * durable watermark (published only after an fdatasync returned) says how far
 * data was certainly acknowledged: bad bytes below it are damage to durable
 * data, i.e. corruption; bad bytes at or above it are the remains of an
 * interrupted, never-acknowledged write (a sector-torn batch can leave valid
 * frames after a hole), i.e. a torn tail. With no readable watermark the plain
 * rule applies: a bad record followed by a frame that verifies is corruption.
 * Anything bad in a sealed segment is corruption.
 *
 * So recovery runs in three steps: classify each bad spot (a RecoveryCase), look the
 * case up under the policy (RECOVERY_TABLE), act (actions.ts). The table is the policy
 * table of docs/durability.md, case by case.
 */
import type { JournalIO } from '../../io/types.js';
import { CorruptionError } from '../../errors.js';
import { FrameStatus, frameDamage } from '../../format/frame.js';
import { filePos } from '../../format/segment.js';
import type { Gap, SegmentManager } from '../segments.js';
import { salvageWalk, walkChain } from './scan.js';
import { FrameFinder } from './find-frame.js';
import { cutTail, setAsideLater } from './actions.js';
import type { CorruptionEntry, RecoveryOptions, RecoveryPolicy, RecoveryReport } from './types.js';

/**
 * What recovery can find wrong (legend of RECOVERY_TABLE's columns):
 *   zero-tail        from the bad byte to the tail segment's end all is zero: unwritten
 *                    space (preallocated, or writes that never reached the disk), not damage
 *   torn-tail        the tail's last write, interrupted: bad bytes at or above the watermark,
 *                    or (no readable watermark) with no frame that verifies after them
 *   frames-after     corruption: a frame verifies after the bad bytes (below the watermark,
 *                    or without one; in any segment)
 *   sealed           corruption in a sealed segment, no frame verifies after it
 *   below-watermark  corruption in the tail below the watermark, no frame verifies after it
 *   missing-data     the journal ends cleanly below the watermark: acknowledged records are gone
 */
export type RecoveryCase = 'zero-tail' | 'torn-tail' | 'frames-after' | 'sealed' | 'below-watermark' | 'missing-data';

/**
 * What recovery does about it (legend of RECOVERY_TABLE's cells):
 *   cut-zeros  the data ends at the bad byte; the zeros are cut off after the scan (no copy:
 *              there is nothing in them)
 *   cut        lower the watermark to the bad byte, copy the bytes from there aside, cut
 *              them off (rules 5, 10); the segment's scan ends
 *   truncate   cut, and set every later segment aside: the journal ends at the bad byte
 *              (point in time); recovery ends
 *   skip       record a gap up to the next frame that verifies (or the segment's end) and
 *              go on from there; reads inside it fail with OFFSET_SKIPPED
 *   refuse     throw a CorruptionError saying where, why and what can be done; nothing changes
 *   accept     lower the watermark to the end found; the report lists the loss
 */
type RecoveryAction = 'cut-zeros' | 'cut' | 'truncate' | 'skip' | 'refuse' | 'accept';

/** One policy's row: a bad spot found in a scan, and the journal's end found after it. */
type PolicyRow = { 'zero-tail': Extract<RecoveryAction, 'cut-zeros'> } & Record<
  'torn-tail' | 'frames-after' | 'sealed' | 'below-watermark',
  Exclude<RecoveryAction, 'cut-zeros' | 'accept'>
> & { 'missing-data': Extract<RecoveryAction, 'refuse' | 'accept'> };

/** policy × case → action. */
// prettier-ignore
export const RECOVERY_TABLE: Readonly<Record<RecoveryPolicy, Readonly<PolicyRow>>> = {
  'tolerate-tail': { 'zero-tail': 'cut-zeros', 'torn-tail': 'cut',    'frames-after': 'refuse',   sealed: 'refuse',   'below-watermark': 'refuse',   'missing-data': 'refuse' },
  strict:          { 'zero-tail': 'cut-zeros', 'torn-tail': 'refuse', 'frames-after': 'refuse',   sealed: 'refuse',   'below-watermark': 'refuse',   'missing-data': 'refuse' },
  truncate:        { 'zero-tail': 'cut-zeros', 'torn-tail': 'cut',    'frames-after': 'truncate', sealed: 'truncate', 'below-watermark': 'truncate', 'missing-data': 'accept' },
  salvage:         { 'zero-tail': 'cut-zeros', 'torn-tail': 'cut',    'frames-after': 'skip',     sealed: 'skip',     'below-watermark': 'cut',      'missing-data': 'accept' },
};

/** Why an open was refused, by case (the CorruptionError's detail). */
const REFUSED_BECAUSE: Record<Exclude<RecoveryCase, 'zero-tail' | 'missing-data'>, (next: number, watermark: number | null) => string> = {
  'torn-tail': () => 'torn tail refused by the strict policy',
  'frames-after': (next) => `valid records follow at offset ${next}`,
  'below-watermark': (_next, watermark) => `below the durable watermark ${watermark}: acknowledged data is damaged`,
  sealed: () => 'in a sealed segment',
};

/**
 * The case of the bad byte at global offset `bad` of a segment, and the next offset where
 * a frame verifies (-1: none, or not searched because the case does not depend on it).
 */
function classify(isTail: boolean, bad: number, finder: FrameFinder, watermark: number | null): { kind: Exclude<RecoveryCase, 'missing-data'>; next: number } {
  if (isTail && finder.zerosFrom(bad)) return { kind: 'zero-tail', next: -1 };
  // At or above the watermark the tail is torn whatever follows: no search needed.
  if (isTail && watermark !== null && bad >= watermark) return { kind: 'torn-tail', next: -1 };
  const next = finder.next(bad + 1);
  if (next >= 0) return { kind: 'frames-after', next };
  if (!isTail) return { kind: 'sealed', next };
  return { kind: watermark === null ? 'torn-tail' : 'below-watermark', next };
}

/** Runs recovery over loaded segments (the last one open read-write unless dryRun). */
export async function recoverSegments(io: JournalIO, mgr: SegmentManager, opts: RecoveryOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = {
    policy: opts.policy,
    dryRun: opts.dryRun,
    segments: mgr.segments.length,
    segmentsScanned: 0,
    recordsValid: 0,
    bytesScanned: 0,
    truncatedAt: null,
    bytesTruncated: 0,
    recordsDropped: 0,
    corruption: [],
    gaps: [],
    brokenFiles: [],
    zeroTailBytes: 0,
    end: 0,
  };
  const table = RECOVERY_TABLE[opts.policy];
  const segs = mgr.segments;
  const first = opts.verifyAll ? 0 : Math.max(0, segs.length - 1);
  // The durable line; lowered (durably) before anything below it is removed.
  const lower = async (to: number) => {
    if (opts.watermark !== null && to < opts.watermark) {
      if (!opts.dryRun) await opts.lowerWatermark?.(to);
      opts.watermark = to; // with dryRun, only what this report reasons with
    }
  };
  for (let i = first; i < segs.length; i++) {
    const seg = segs[i]!;
    const isTail = i === segs.length - 1;
    report.segmentsScanned++;
    const fileEnd = seg.end;
    let pos = seg.base;
    // Read once, from the first bad byte, for every later check and search in this segment (linear in all).
    let finder: FrameFinder | undefined;
    scan: for (;;) {
      const chain = walkChain(io, seg, pos, fileEnd);
      report.recordsValid += chain.records;
      report.bytesScanned += chain.bytesScanned;
      opts.onProgress?.(report.bytesScanned);
      if (chain.status === FrameStatus.Ok) break;
      const bad = chain.stop;
      finder ??= FrameFinder.read(io, seg, bad, fileEnd);
      const { kind, next } = classify(isTail, bad, finder, opts.watermark);
      const action = table[kind];
      if (action === 'cut-zeros') {
        // Below the watermark it is still lost data: the check after the loop says so.
        report.zeroTailBytes = fileEnd - bad;
        seg.end = bad;
        break;
      }
      const reason = frameDamage(chain.status);
      const entry: CorruptionEntry = { segment: seg.name, position: filePos(seg, bad), offset: bad, reason };
      report.corruption.push(entry);
      switch (action) {
        case 'refuse':
          throw new CorruptionError(
            seg.name,
            entry.position,
            reason,
            `offset ${bad}; ${REFUSED_BECAUSE[kind as keyof typeof REFUSED_BECAUSE](next, opts.watermark)}`,
            'choose-policy',
          );
        case 'cut':
          await lower(bad);
          await cutTail(io, mgr, seg, bad, opts, report);
          break scan;
        case 'truncate':
          await lower(bad);
          report.recordsDropped += next >= 0 ? salvageWalk(io, seg, next, fileEnd).records : 0;
          report.recordsDropped += await setAsideLater(io, mgr, i, opts, report);
          await cutTail(io, mgr, seg, bad, opts, report);
          return finish(mgr, report);
        case 'skip': {
          const gap: Gap = { from: bad, to: next < 0 ? fileEnd : next };
          seg.gaps.push(gap);
          report.gaps.push({ segment: seg.name, ...gap });
          if (next < 0) break scan;
          pos = next;
          continue;
        }
      }
    }
  }
  // A tail that ends cleanly below the watermark lost acknowledged records
  // (a cut at a record boundary, or a missing tail segment): never silent.
  const lastEnd = report.dryRun && report.truncatedAt !== null ? report.truncatedAt : mgr.last ? mgr.last.end : 0;
  if (opts.watermark !== null && lastEnd < opts.watermark) {
    const tail = mgr.last;
    const entry: CorruptionEntry = { segment: tail?.name ?? '(none)', position: tail ? filePos(tail, lastEnd) : 0, offset: lastEnd, reason: 'missing data' };
    report.corruption.push(entry);
    if (table['missing-data'] === 'refuse') {
      throw new CorruptionError(
        entry.segment,
        entry.position,
        'missing data',
        `the journal ends at offset ${lastEnd} but the durable watermark says ${opts.watermark}: acknowledged records are missing`,
        'accept-loss',
      );
    }
    await lower(lastEnd);
  }
  if (report.zeroTailBytes > 0 && !opts.dryRun) {
    // The zeros go (durably) before the segment is used: it may be sealed next, and a
    // sealed segment holds nothing past its data. Zeros hold no data: no copy is kept.
    const tail = mgr.last!;
    io.truncate(tail.fd, filePos(tail, tail.end));
    await io.fsync(tail.fd);
  }
  return finish(mgr, report);
}

function finish(mgr: SegmentManager, report: RecoveryReport): RecoveryReport {
  report.segments = mgr.segments.length;
  report.end = report.dryRun && report.truncatedAt !== null ? report.truncatedAt : mgr.last ? mgr.last.end : 0;
  return report;
}
