/**
 * Maintenance of a writer's sealed segments, in the background: each segment
 * sealed by rotation is scanned (record count, file CRC32C), entered durably in
 * the ledger, reported to onSegmentSealed, and then retention runs. One pass at
 * a time, started after a seal and at open; appends never wait for it (scans
 * yield between 1 MiB blocks). An I/O error fail-stops the journal (rule 8).
 */
import type { JournalIO } from '../io/types.js';
import { argRangeError, checkNonNegativeInteger } from '../validate.js';
import { StemeError } from '../errors.js';
import { filePos } from '../format/segment.js';
import { isDirSyncFailure } from './durable-file.js';
import { Ledger, countRecordsSync, scanSealed, type SealedSegmentInfo } from './ledger.js';
import { freeDiskBytes, planRetention, type ResolvedRetention, type RetentionPlan } from './retention.js';
import type { Cursors, CursorInfo } from './cursors.js';
import type { Segment, SegmentManager } from './segments.js';

export type SegmentSealedHook = (info: SealedSegmentInfo) => void | Promise<void>;

/** A cursor as stats() reports it. */
export interface CursorLag extends CursorInfo {
  /** durableOffset − offset. */
  lagBytes: number;
  /** Durable records at or after the cursor: exact for whole segments, estimated by bytes inside the cursor's own segment. */
  lagRecords: number;
  /** Retention (overrideCursors) deleted records this cursor had not read: its next read fails with OFFSET_CLEANED. */
  cleaned: boolean;
  /** Why the cursor file could not be read (then `offset` is 0 here, and it holds retention back entirely), else null. */
  damaged: string | null;
}

/** What a retention pass did. */
export interface RetentionResult {
  /** File names deleted. */
  removed: string[];
  /** What kept segments the limits wanted gone, or null. */
  heldBy: RetentionPlan['heldBy'];
  /** Bytes of segment files after the pass. */
  bytes: number;
}

interface MaintenanceDeps {
  io: JournalIO;
  dir: string;
  segments: SegmentManager;
  cursors: Cursors;
  retention: ResolvedRetention | null;
  onSegmentSealed: SegmentSealedHook | null;
  now: () => number;
  durableOffset: () => number;
  /** SegmentManager.cleanup(bound), with the journal's fail-stop on error. */
  cleanup: (bound: number) => Promise<string[]>;
  failStop: (err: unknown) => Error;
}

export class Maintenance {
  readonly ledger: Ledger;
  #pass: Promise<RetentionResult | null> = Promise.resolve(null);
  #scheduled = false;
  #stopped = false;
  /** Seal times of segments rotated in this process but not yet in the ledger. */
  readonly #sealedAt = new Map<number, number>();
  readonly #warned = new Set<string>();
  #lastPlan: RetentionPlan | null = null;
  /** Sealed segments whose ledger entry is not yet durable: the hook is told after it is. */
  readonly #untold: SealedSegmentInfo[] = [];
  #active = { base: -1, upTo: 0, count: 0 };

  constructor(readonly d: MaintenanceDeps) {
    this.ledger = new Ledger(d.io, d.dir);
  }

  /** At open: loads the ledger and starts a pass (segments sealed before a crash are scanned and reported). */
  start(): void {
    this.ledger.load();
    this.schedule();
  }

  /** GroupCommit.onSealed: a segment was sealed by rotation. */
  sealed(seg: Segment): void {
    this.#sealedAt.set(seg.base, this.d.now());
    this.schedule();
  }

  schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    this.#pass = this.#pass
      .catch(() => null)
      .then(() => {
        this.#scheduled = false;
        return this.#stopped ? null : this.#run();
      });
    this.#pass.catch(() => {});
  }

  /** Runs a pass now (after the one in flight); resolves with what retention did. */
  async applyRetention(): Promise<RetentionResult | null> {
    await this.#pass.catch(() => null);
    const run = this.#pass.catch(() => null).then(() => this.#run());
    this.#pass = run;
    return run;
  }

  /** Marks the sealed segment at `base` shipped, durably; retention's keepUnshipped then lets it go. */
  async markShipped(base: number): Promise<SealedSegmentInfo> {
    checkNonNegativeInteger(base, 'base');
    await this.#pass.catch(() => null); // a segment just sealed gets its entry first
    const e = this.ledger.entries.get(base);
    if (!e) {
      const seg = this.d.segments.segments.find((s) => s.base === base);
      if (seg && seg === this.d.segments.last)
        throw new StemeError('NOT_SEALED', `segment ${seg.name} is the active segment; only sealed segments are shipped`);
      throw argRangeError(`no sealed segment starts at offset ${base}`, 'ERR_INVALID_ARG_VALUE');
    }
    if (!e.shipped) {
      e.shipped = true;
      try {
        await this.ledger.save();
      } catch (err) {
        e.shipped = false; // not durable: not shipped (the caller retries)
        this.ledger.damaged = true;
        if (isDirSyncFailure(err)) throw this.d.failStop(err);
        throw err;
      }
      this.schedule();
    }
    return { ...e };
  }

  /** The ledger's entries, oldest first. */
  sealedSegments(): SealedSegmentInfo[] {
    return [...this.ledger.entries.values()].sort((a, b) => a.base - b.base).map((e) => ({ ...e }));
  }

  /** Waits for the pass in flight; no more start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#pass.catch(() => null);
  }

  async #run(): Promise<RetentionResult | null> {
    if (this.#stopped) return null;
    const segs = this.d.segments;
    const fresh: SealedSegmentInfo[] = [];
    for (const seg of segs.segments.slice(0, -1)) {
      if (this.ledger.entries.has(seg.base)) continue;
      let scan: Awaited<ReturnType<typeof scanSealed>>;
      try {
        scan = await scanSealed(this.d.io, seg);
      } catch (err) {
        // cleanup() deleted it while it was being scanned: nothing to report or retain.
        if ((err as { code?: unknown }).code === 'OFFSET_CLEANED' && !segs.segments.includes(seg)) continue;
        throw this.d.failStop(err);
      }
      if (this.#stopped) return null;
      if (!segs.segments.includes(seg)) continue;
      const sealedAt = this.#sealedAt.get(seg.base) ?? this.d.now();
      const info: SealedSegmentInfo = { name: seg.name, base: seg.base, end: seg.end, sealedAt, shipped: false, ...scan };
      this.ledger.entries.set(seg.base, info);
      this.#sealedAt.delete(seg.base);
      fresh.push(info);
    }
    const pruned = this.ledger.prune(new Set(segs.segments.map((s) => s.base)));
    this.#untold.push(...fresh);
    if (fresh.length > 0 || pruned || this.ledger.damaged) await this.#saveLedger();
    // The hook hears of a segment only once its ledger entry is durable.
    if (!this.ledger.damaged) {
      for (const info of this.#untold.splice(0)) if (this.ledger.entries.has(info.base)) this.#tell(info);
    }
    return this.#retain();
  }

  async #retain(): Promise<RetentionResult | null> {
    const r = this.d.retention;
    if (!r) return null;
    const segs = this.d.segments.segments;
    const view = segs.map((s, i) => ({
      base: s.base,
      end: s.end,
      bytes: filePos(s, i === segs.length - 1 ? Math.min(s.end, this.d.durableOffset()) : s.end),
      sealed: this.ledger.entries.get(s.base),
    }));
    const cursors = this.d.cursors.listChecked().map((c) => c.info);
    const free = r.minFreeDiskBytes === null ? null : freeDiskBytes(this.d.io, this.d.dir);
    const plan = planRetention(r, view, cursors, this.d.now(), free);
    this.#lastPlan = plan;
    this.#warnIfHeld(plan, view);
    let removed: string[] = [];
    if (plan.bound > (segs[0]?.base ?? 0)) {
      // Rule 2: what bounds the deletion (the cursors) is durable already; cleanup() keeps
      // segments a live iterator holds, unlinks, fsyncs the directory. The ledger follows (an
      // entry left by a crash here is pruned at the next pass).
      removed = await this.d.cleanup(plan.bound);
      if (this.ledger.prune(new Set(this.d.segments.segments.map((s) => s.base)))) await this.#saveLedger();
    }
    const bytes = this.d.segments.segments.reduce((n, s, i, all) => n + filePos(s, i === all.length - 1 ? Math.min(s.end, this.d.durableOffset()) : s.end), 0);
    return { removed, heldBy: plan.heldBy, bytes };
  }

  /** One process warning per cursor that holds retention back past twice a limit. */
  #warnIfHeld(plan: RetentionPlan, view: ReadonlyArray<{ sealed: SealedSegmentInfo | undefined }>): void {
    const held = plan.heldBy;
    if (!held || held.kind !== 'cursor' || this.#warned.has(held.name)) return;
    const r = this.d.retention!;
    const oldest = view[0]?.sealed;
    const overBytes = r.maxBytes !== null && r.maxBytes > 0 && plan.bytesAfter >= 2 * r.maxBytes;
    const overAge = r.maxAgeMs !== null && oldest !== undefined && this.d.now() - oldest.sealedAt >= 2 * Math.max(1, r.maxAgeMs);
    if (!overBytes && !overAge) return;
    this.#warned.add(held.name);
    const what = overBytes
      ? `${plan.bytesAfter} bytes of segments, at least twice retain.maxBytes (${r.maxBytes})`
      : `segments older than twice retain.maxAgeMs (${r.maxAgeMs} ms)`;
    process.emitWarning(`stemedb: cursor "${held.name}" at offset ${held.offset} holds retention back in ${this.d.dir}: ${what} are kept for it`, {
      code: 'STEMEDB_RETENTION_HELD',
      detail: 'Advance or delete the cursor (journal.cursors.delete), or set retain.overrideCursors.',
    });
  }

  #tell(info: SealedSegmentInfo): void {
    const hook = this.d.onSegmentSealed;
    if (!hook) return;
    const report = (err: unknown) => {
      process.emitWarning(`stemedb: onSegmentSealed threw for ${info.name}: ${err instanceof Error ? err.message : String(err)}`, {
        code: 'STEMEDB_SEGMENT_HOOK_FAILED',
        detail: 'The journal goes on; the segment stays unshipped until markShipped() is called.',
      });
    };
    try {
      const r = hook({ ...info });
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, report);
    } catch (err) {
      report(err);
    }
  }

  /**
   * Saves the ledger. A failure to write it (a full disk, say) is not a fail-stop: the ledger
   * is a new file each time (no retried fsync of dropped pages, rule 8's hazard), the old one
   * stays, and retention, which may free the space, must still run. It warns and retries next
   * pass. A failed fsync of the journal directory is rule 8's case: it fail-stops.
   */
  async #saveLedger(): Promise<void> {
    try {
      await this.ledger.save();
      this.ledger.damaged = false;
    } catch (err) {
      this.ledger.damaged = true;
      if (isDirSyncFailure(err)) throw this.d.failStop(err); // the journal directory's own fsync: rule 8
      process.emitWarning(`stemedb: could not write the sealed-segment ledger of ${this.d.dir}: ${err instanceof Error ? err.message : String(err)}`, {
        code: 'STEMEDB_LEDGER_WRITE_FAILED',
        detail: 'Retention goes on; the write is retried after the next seal or applyRetention().',
      });
    }
  }

  /** Each cursor with its lag (stats()). */
  cursorLags(): CursorLag[] {
    const durable = this.d.durableOffset();
    const segs = this.d.segments.segments;
    const first = segs[0]?.base ?? 0;
    return this.d.cursors.listChecked().map(({ info: c, damaged }) => {
      let records = 0;
      for (const s of segs) {
        const end = Math.min(s.end, durable);
        if (end <= c.offset || s.base >= durable) continue;
        const count = this.#recordsIn(s, end);
        records += s.base >= c.offset ? count : Math.round((count * (end - c.offset)) / Math.max(1, end - s.base));
      }
      return { ...c, lagBytes: Math.max(0, durable - c.offset), lagRecords: records, cleaned: c.offset < first, damaged: damaged?.message ?? null };
    });
  }

  /** Records of `s` below `end`: the ledger's count if sealed, else counted (incrementally for the active segment). */
  #recordsIn(s: Segment, end: number): number {
    const sealed = this.ledger.entries.get(s.base);
    if (sealed) return sealed.records;
    if (s.records !== null && end === s.end) return s.records;
    if (s !== this.d.segments.last) return countRecordsSync(this.d.io, s, s.base, end).count;
    if (this.#active.base !== s.base || this.#active.upTo > end) this.#active = { base: s.base, upTo: s.base, count: 0 };
    const step = countRecordsSync(this.d.io, s, this.#active.upTo, end);
    this.#active.upTo = step.next;
    this.#active.count += step.count;
    return this.#active.count;
  }

  /** Retention's state for stats(). */
  retentionStats(): { heldBy: RetentionPlan['heldBy']; bytes: number } | null {
    if (!this.d.retention) return null;
    return { heldBy: this.#lastPlan?.heldBy ?? null, bytes: this.#lastPlan?.bytesAfter ?? 0 };
  }
}
