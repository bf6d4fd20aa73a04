/**
 * Retention: which sealed segments may go. Whole segments only, oldest first,
 * never the active one, never one at or above the slowest cursor (unless
 * overrideCursors), never an unshipped one (with keepUnshipped). Pure planning
 * here; maintenance.ts runs it and deletes through SegmentManager.cleanup().
 */
import { statfsSync } from 'node:fs';
import type { JournalIO } from '../io/types.js';
import { argTypeError, checkOptions, describe, keysOf, argRangeError } from '../validate.js';
import { Ledger, type SealedSegmentInfo } from './ledger.js';
import { Cursors } from './cursors.js';
import { filePos } from '../format/segment.js';
import type { SegmentManager } from './segments.js';

export interface RetentionOptions {
  /** Delete the oldest sealed segments while all segment files together take more than this. */
  maxBytes?: number;
  /** Delete sealed segments sealed longer ago than this (age counts from the seal, see sealedAt). */
  maxAgeMs?: number;
  /** Delete the oldest sealed segments while the file system has less free space than this. */
  minFreeDiskBytes?: number;
  /** Delete past the slowest cursor too: that cursor's next read fails with OFFSET_CLEANED. Default false. */
  overrideCursors?: boolean;
  /** Never delete a sealed segment before markShipped() was called for it. Default false. */
  keepUnshipped?: boolean;
}

export interface ResolvedRetention {
  maxBytes: number | null;
  maxAgeMs: number | null;
  minFreeDiskBytes: number | null;
  overrideCursors: boolean;
  keepUnshipped: boolean;
}

const RETENTION_KEYS = keysOf<RetentionOptions>({ maxBytes: true, maxAgeMs: true, minFreeDiskBytes: true, overrideCursors: true, keepUnshipped: true });

export function resolveRetention(value: unknown): ResolvedRetention | null {
  if (value === undefined) return null;
  const o = checkOptions(value, RETENTION_KEYS, 'options.retain');
  const limit = (name: string): number | null => {
    const v = o[name];
    if (v === undefined) return null;
    if (typeof v !== 'number') throw argTypeError(`options.retain.${name} must be a number, got ${describe(v)}`);
    if (!Number.isSafeInteger(v) || v < 0) throw argRangeError(`options.retain.${name} must be a non-negative integer, got ${v}`);
    return v;
  };
  const flag = (name: string): boolean => {
    const v = o[name] ?? false;
    if (typeof v !== 'boolean') throw argTypeError(`options.retain.${name} must be a boolean, got ${describe(v)}`);
    return v;
  };
  return {
    maxBytes: limit('maxBytes'),
    maxAgeMs: limit('maxAgeMs'),
    minFreeDiskBytes: limit('minFreeDiskBytes'),
    overrideCursors: flag('overrideCursors'),
    keepUnshipped: flag('keepUnshipped'),
  };
}

/** One segment as retention sees it. */
interface RetainedSegment {
  base: number;
  end: number;
  /** File size on disk. */
  bytes: number;
  /** The ledger's entry (sealed segments), undefined for the active one or one not yet scanned. */
  sealed: SealedSegmentInfo | undefined;
}

export interface RetentionPlan {
  /** Segments lying wholly below this offset go (SegmentManager.cleanup's cursor). */
  bound: number;
  /** Why segments a limit wants gone are kept: the first obstacle. */
  heldBy: { kind: 'cursor'; name: string; offset: number } | { kind: 'unshipped'; base: number } | { kind: 'unsealed'; base: number } | null;
  /** Bytes on disk now, and after the plan. */
  bytesBefore: number;
  bytesAfter: number;
  /** How far over maxBytes the remaining segments are (bytesAfter / maxBytes), or 0 without maxBytes. */
  overMaxBytes: number;
}

/**
 * Plans a retention pass over `segments` (oldest first, the last one active):
 * wanted = how many of the oldest sealed segments the limits want gone; then
 * each is checked against cursors and shipping, stopping at the first that must stay
 * (deletion is oldest first, so nothing after it goes either: no gaps).
 */
export function planRetention(
  r: ResolvedRetention,
  segments: readonly RetainedSegment[],
  cursors: ReadonlyArray<{ name: string; offset: number }>,
  now: number,
  freeBytes: number | null,
): RetentionPlan {
  const total = segments.reduce((n, s) => n + s.bytes, 0);
  let wanted = 0;
  let bytes = total;
  let free = freeBytes;
  const sealedCount = segments.length - 1;
  while (wanted < sealedCount) {
    const s = segments[wanted]!;
    const overBytes = r.maxBytes !== null && bytes > r.maxBytes;
    const tooOld = r.maxAgeMs !== null && s.sealed !== undefined && now - s.sealed.sealedAt > r.maxAgeMs;
    const lowDisk = r.minFreeDiskBytes !== null && free !== null && free < r.minFreeDiskBytes;
    if (!overBytes && !tooOld && !lowDisk) break;
    bytes -= s.bytes;
    if (free !== null) free += s.bytes;
    wanted++;
  }
  const slowest = cursors.reduce<{ name: string; offset: number } | null>((m, c) => (m === null || c.offset < m.offset ? c : m), null);
  let heldBy: RetentionPlan['heldBy'] = null;
  let go = 0;
  for (; go < wanted; go++) {
    const s = segments[go]!;
    if (!r.overrideCursors && slowest && s.end > slowest.offset) {
      heldBy = { kind: 'cursor', name: slowest.name, offset: slowest.offset };
      break;
    }
    if (r.keepUnshipped && !s.sealed) {
      heldBy = { kind: 'unsealed', base: s.base };
      break;
    }
    if (r.keepUnshipped && !s.sealed!.shipped) {
      heldBy = { kind: 'unshipped', base: s.base };
      break;
    }
  }
  const kept = segments.slice(go);
  const bytesAfter = kept.reduce((n, s) => n + s.bytes, 0);
  const bound = go === 0 ? (segments[0]?.base ?? 0) : segments[go - 1]!.end;
  return { bound, heldBy, bytesBefore: total, bytesAfter, overMaxBytes: r.maxBytes ? bytesAfter / r.maxBytes : 0 };
}

/** Free bytes of the file system holding `dir` (bavail × bsize). */
export function freeDiskBytes(io: JournalIO, dir: string): number {
  const s = io.statfs ? io.statfs(dir) : statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * A full disk can refuse an open: recovery keeps a copy of a torn tail before cutting it
 * (rule 10) and needs room for it. Before it tries again, retention deletes what its limits
 * let go among the sealed segments (never the tail, never past the slowest cursor unless
 * overrideCursors, never an unshipped one with keepUnshipped), unlinking and syncing the
 * directory through the same cleanup as always. Returns the names removed (none: no retry).
 */
export async function retainBeforeRecovery(io: JournalIO, dir: string, mgr: SegmentManager, r: ResolvedRetention, now: number): Promise<string[]> {
  const ledger = new Ledger(io, dir);
  ledger.load();
  const view = mgr.segments.map((s) => ({ base: s.base, end: s.end, bytes: filePos(s, s.end), sealed: ledger.entries.get(s.base) }));
  // Only the listing is used: the bounds serve commits, which this never makes.
  const cursors = new Cursors(io, dir, { durableOffset: () => 0, firstOffset: () => 0, checkRecordStart: () => {}, now: () => now });
  const free = r.minFreeDiskBytes === null ? null : freeDiskBytes(io, dir);
  const plan = planRetention(
    r,
    view,
    cursors.listChecked().map((c) => c.info),
    now,
    free,
  );
  if (plan.bound <= (mgr.segments[0]?.base ?? 0)) return [];
  return [...(await mgr.cleanup(plan.bound))];
}
