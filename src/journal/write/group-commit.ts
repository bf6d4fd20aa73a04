/**
 * Group commit: appends that arrive while a write+sync is in flight queue up;
 * when it returns, the whole queue goes out as the next batch in one native
 * write+sync (leader/follower, no timer needed). Offsets are assigned in call
 * order at submit time; promises resolve in order after the covering sync.
 */
import type { JournalIO } from '../../io/types.js';
import { hashBackend } from '../../hash/index.js';
import { JournalFailedError, ClosedError } from '../../errors.js';
import { FRAME_HEADER, FRAME_LEN_AT, HASH_BYTES, frameBinding } from '../../format/frame.js';
import { FORMAT_VERSION, filePos } from '../../format/segment.js';
import type { Segment, SegmentManager } from '../segments.js';
import { encodeWatermark } from '../../format/watermark.js';
import { SyncCounters } from '../stats.js';
import { Appended, type AppendResult, type Commit, type CommitHooks, type Durability } from './commit.js';
import { Preallocator } from './prealloc.js';
import { FrameArena } from './frame-arena.js';
import { CompletionPoll } from './completion-poll.js';
import { WatermarkSync } from './watermark-sync.js';

/** An entry's breaks when it starts no segment (the common case: no array per call). */
const NO_BREAKS: readonly number[] = Object.freeze([]);
const NO_FRAMES = new Uint8Array(0);

interface Entry {
  /** The arena buffer its frames were laid out in at the call, from `at` on. */
  buf: Uint8Array;
  at: number;
  /** Offset of the first record. */
  first: number;
  /** Frame bytes of all its records. */
  bytes: number;
  records: number;
  /** Where a new segment starts: pairs of (record index, byte position in its frames). */
  breaks: readonly number[];
  /** A sync() barrier rather than records. */
  barrier: boolean;
  /** From submitOne(): resolves with the one result, not an array. */
  one: boolean;
  /** With AppendResult[], or the AppendResult itself when `one`. */
  resolve(results: unknown): void;
  reject(err: Error): void;
}

/** The frames of a batch that go to one segment, in one write. */
interface Run {
  /** Position in the batch's frame buffer. */
  start: number;
  end: number;
  /** Global offset of its first frame. */
  offset: number;
  /** It starts a new segment. */
  fresh: boolean;
  records: number;
  /** Index in the batch of its first record. */
  firstRecord: number;
  /** Where it was written, and the preallocation zeros written after it. */
  seg: Segment | null;
  zeros: Uint8Array | null;
}

/** A batch's frames, laid out and sealed. */
interface LaidOut {
  buf: Uint8Array;
  runs: Run[];
  /** Their hashes, 32 bytes each, in order. */
  hashes: Uint8Array;
}

interface GroupCommitOptions {
  durability: Durability;
  segmentBytes: number;
  /** A batch stops growing past this many frame bytes (at least one call goes out). */
  maxBatchBytes: number;
  /** Extra wait before a batch goes out, to gather more appends (default 0). */
  maxDelayMicros: number;
  /** The watermark file is fsynced at most this often, this long after it changed (0: only at open and close). */
  watermarkSyncMs: number;
  /** The event loop keeps turning while a batch's write is in flight, for at most this long (completion-poll.ts; 0: never). */
  pollMicros: number;
}

export class GroupCommit implements Commit {
  #queue: Entry[] = [];
  #running = false;
  #idle: Array<() => void> = [];
  #assignSize: number;
  failed: JournalFailedError | null = null;
  #closed = false;
  nextOffset: number;
  writtenOffset: number;
  durableOffset: number;
  readonly counters = new SyncCounters();
  readonly #hooks: CommitHooks;
  /** Written zeros ahead of the write position, where syncs are the point ('group', 'each'). */
  readonly #prealloc: Preallocator | null;
  readonly #poll: CompletionPoll;
  readonly #watermark: WatermarkSync;

  constructor(
    readonly io: JournalIO,
    readonly segments: SegmentManager,
    readonly wmFd: number,
    readonly options: GroupCommitOptions,
    end: number,
    hooks: CommitHooks,
  ) {
    this.#hooks = hooks;
    const active = segments.last!;
    this.nextOffset = this.writtenOffset = this.durableOffset = end;
    this.#assignSize = end - active.base;
    this.#prealloc = options.durability === 'none' ? null : new Preallocator(options.segmentBytes);
    this.#poll = new CompletionPoll(options.pollMicros);
    this.#watermark = new WatermarkSync(io, wmFd, options.watermarkSyncMs, this);
  }

  /** Queues records; resolves after the write (and, unless durability is 'none', the sync) that covers them. */
  submit(payloads: readonly Uint8Array[], payloadBytes: number): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => this.#enqueue(payloads, payloadBytes, false, resolve as (r: unknown) => void, reject));
  }

  /** submit() of one record, resolving with its result alone (the hot path of append()). */
  submitOne(payload: Uint8Array): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const one = this.#onePayload; // #enqueue reads it only while it runs: one array serves every append
      one[0] = payload;
      try {
        this.#enqueue(one, payload.length, true, resolve as (r: unknown) => void, reject);
      } finally {
        one[0] = NO_FRAMES; // no hold on the caller's buffer, also if #enqueue threw (the promise rejects)
      }
    });
  }
  readonly #onePayload: Uint8Array[] = [NO_FRAMES];

  /** Assigns the records their offsets and lays them out as frames in the arena, now (the payloads' only copy). */
  #enqueue(payloads: readonly Uint8Array[], payloadBytes: number, one: boolean, resolve: (r: unknown) => void, reject: (e: Error) => void): void {
    if (this.failed) return reject(this.failed);
    if (this.#closed) return reject(new ClosedError());
    const first = this.nextOffset;
    const bytes = payloads.length * FRAME_HEADER + payloadBytes;
    let breaks = NO_BREAKS;
    if (this.#assignSize + bytes <= this.options.segmentBytes) this.#assignSize += bytes;
    else breaks = this.#segmentBreaks(payloads);
    const buf = this.#arena.reserve(bytes);
    const at = this.#arena.at;
    for (let i = 0, p = at; i < payloads.length; i++) {
      this.#arena.putFrame(p, payloads[i]!);
      p += FRAME_HEADER + payloads[i]!.length;
    }
    this.nextOffset = first + bytes;
    this.#queue.push({ buf, at, first, bytes, records: payloads.length, breaks, barrier: false, one, resolve, reject });
    this.#kick();
  }

  /**
   * Where the call's records start new segments, as (record index, byte position) pairs: a
   * segment rotates when a record would pass segmentBytes; a record larger than that still
   * goes whole into a segment of its own (never spans two).
   */
  #segmentBreaks(payloads: readonly Uint8Array[]): readonly number[] {
    const breaks: number[] = [];
    let bytes = 0;
    for (let i = 0; i < payloads.length; i++) {
      const frame = FRAME_HEADER + payloads[i]!.length;
      if (this.#assignSize > 0 && this.#assignSize + frame > this.options.segmentBytes) {
        breaks.push(i, bytes);
        this.#assignSize = 0;
      }
      this.#assignSize += frame;
      bytes += frame;
    }
    return breaks.length > 0 ? breaks : NO_BREAKS;
  }

  /** Makes everything written so far durable (for 'none'); in other modes waits for in-flight work. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        buf: NO_FRAMES,
        at: 0,
        first: this.nextOffset,
        bytes: 0,
        records: 0,
        breaks: NO_BREAKS,
        barrier: true,
        one: false,
        resolve: () => resolve(),
        reject,
      });
      this.#kick();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  get pending(): number {
    return this.#queue.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Refuses new appends from now on; what is queued still goes out (finishClose() waits for it). */
  close(): void {
    this.#closed = true;
  }

  /**
   * After close(): waits for the queue, syncs what was written ('none' mode), cuts the
   * preallocated zeros and syncs the watermark: a closed journal's files hold its data
   * and nothing else, and its watermark is on disk.
   */
  async finishClose(): Promise<void> {
    await this.drain();
    if (!this.failed && this.writtenOffset > this.durableOffset) await this.sync();
    if (!this.failed) await this.trimActive();
    await this.syncWatermark();
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    const delay = this.options.maxDelayMicros;
    if (delay > 0) await new Promise((r) => (delay >= 1000 ? setTimeout(r, delay / 1000) : setImmediate(r)));
    while (this.#queue.length > 0 && !this.failed) {
      const batch = this.#take();
      try {
        await this.#write(batch);
      } catch (err) {
        this.#fail(err, batch);
      }
      this.#release(batch);
      // The callers just resolved re-queue only after a few promise hops; taking
      // the next batch at once would send 1 record, then the other N-1 (twice
      // the syncs). One macrotask lets them all arrive. A lone caller (c=1)
      // does not pay for it.
      if (batch.length > 1 && this.#queue.length < batch.length) await new Promise((r) => setImmediate(r));
    }
    this.#running = false;
    for (const wake of this.#idle.splice(0)) wake();
  }

  /** The batch's frames were written (or failed) and its calls settled: their arena bytes may be reused. */
  #release(batch: Entry[]): void {
    let bytes = 0;
    for (const e of batch) bytes += e.bytes;
    if (bytes > 0) this.#arena.release(batch[0]!.buf, bytes);
  }

  /** The next batch: one call in 'each' mode, else as much as maxBatchBytes allows, from one arena buffer (so contiguous). */
  #take(): Entry[] {
    const q = this.#queue;
    if (this.options.durability === 'each' || q[0]!.barrier) return q.splice(0, 1);
    const buf = q[0]!.buf;
    let n = 0;
    let bytes = 0;
    while (n < q.length && !q[n]!.barrier && q[n]!.buf === buf && (n === 0 || bytes + q[n]!.bytes <= this.options.maxBatchBytes)) {
      bytes += q[n]!.bytes;
      n++;
    }
    return q.splice(0, n);
  }

  /** One batch: lay out its frames, write them run by run, settle its calls. */
  async #write(batch: Entry[]): Promise<void> {
    if (batch[0]!.barrier) {
      await this.#syncActive();
      batch[0]!.resolve([]);
      return;
    }
    const frames = this.#layOut(batch);
    for (let r = 0; r < frames.runs.length; r++) {
      const run = frames.runs[r]!;
      if (run.fresh) await this.#rotate(run.offset);
      // Not an async method: one await per run, as the write itself needs.
      const t0 = performance.now();
      this.#poll.begin();
      await this.#writeRun(frames.buf, run);
      this.#runWritten(run, t0);
    }
    this.#settle(batch, frames.hashes);
  }

  /**
   * Step 1: the batch's frames (laid out at the calls, back to back in one arena buffer),
   * split into runs where a segment starts, then sealed: one native call fills every CRC and hash.
   */
  #layOut(batch: Entry[]): LaidOut {
    const head = batch[0]!;
    let total = 0;
    let count = 0;
    for (const e of batch) {
      total += e.bytes;
      count += e.records;
    }
    const buf = head.buf.subarray(head.at, head.at + total);
    const base = head.first;
    const runs: Run[] = [{ start: 0, end: total, offset: base, fresh: false, records: count, firstRecord: 0, seg: null, zeros: null }];
    let record = 0;
    for (const e of batch) {
      for (let b = 0; b < e.breaks.length; b += 2) {
        const at = e.first - base + e.breaks[b + 1]!;
        const index = record + e.breaks[b]!;
        if (at === 0) runs[0]!.fresh = true;
        else {
          const prev = runs[runs.length - 1]!;
          prev.end = at;
          prev.records = index - prev.firstRecord;
          runs.push({ start: at, end: total, offset: base + at, fresh: true, records: count - index, firstRecord: index, seg: null, zeros: null });
        }
      }
      record += e.records;
    }
    return { buf, runs, hashes: this.#seal(buf, count, base, runs) };
  }

  /**
   * Before a run that starts a segment: the old segment must be durable before its
   * successor is trusted, and hold nothing past its data (its preallocated zeros are
   * cut off first); then the new one is created (rule 1) and the old one reported sealed.
   */
  async #rotate(base: number): Promise<void> {
    const sealed = this.segments.last!;
    if (this.#prealloc) await this.trimActive();
    else if (this.options.durability === 'none') await this.io.fsync(sealed.fd);
    await this.segments.create(base);
    this.#hooks.onSealed(sealed);
  }

  /** Step 2: one run in one native call: its frames (and zeros ahead of them), the sync, the watermark. */
  #writeRun(buf: Uint8Array, run: Run): Promise<number> {
    const sync = this.options.durability !== 'none';
    const seg = (run.seg = this.segments.last!);
    const end = run.offset + (run.end - run.start);
    const data = buf.subarray(run.start, run.end);
    const zeros = (run.zeros = this.#prealloc?.zerosAfter(seg, end) ?? null);
    return this.io.writev(
      seg.fd,
      zeros ? [data, zeros] : [data],
      filePos(seg, run.offset),
      sync,
      sync ? { fd: this.wmFd, record: encodeWatermark(end) } : undefined,
    );
  }

  /** After a run's write returned: the offsets, counters and segment move on. */
  #runWritten(run: Run, t0: number): void {
    const sync = this.options.durability !== 'none';
    const seg = run.seg!;
    const end = run.offset + (run.end - run.start);
    const micros = (performance.now() - t0) * 1000;
    this.#poll.end(micros);
    if (run.zeros) this.#prealloc!.written(seg, end + run.zeros.length);
    this.counters.recordBatch(run.records, run.end - run.start, sync, micros);
    seg.end = end;
    if (seg.records !== null) seg.records += run.records;
    this.writtenOffset = end;
    if (sync) this.#advanceDurable(end);
  }

  /** Step 3: every call of the batch resolves, in order, with its records' offsets and hashes. */
  #settle(batch: Entry[], hashes: Uint8Array): void {
    let k = 0;
    for (const e of batch) {
      if (e.one) {
        e.resolve(new Appended(e.first, e.first + e.bytes, hashes, k++));
        continue;
      }
      const results: AppendResult[] = new Array(e.records);
      let offset = e.first;
      const view = new DataView(e.buf.buffer, e.buf.byteOffset, e.buf.byteLength);
      for (let i = 0, p = e.at; i < e.records; i++) {
        const frame = FRAME_HEADER + view.getUint32(p + FRAME_LEN_AT, true);
        results[i] = new Appended(offset, offset + frame, hashes, k++);
        offset += frame;
        p += frame;
      }
      e.resolve(results);
    }
  }

  readonly #arena = new FrameArena();
  /** Off-heap once: a fresh array of <= 64 bytes lives on the V8 heap, and handing it to the addon moves it (measured ~100-270 ns). */
  #smallHashes = new Uint8Array(new ArrayBuffer(64));

  /**
   * Fills every frame's CRC (bound to its global offset, from `base`) and hash, in one
   * native call; returns the hashes (count x 32 bytes, owned by the results). A v2
   * tail segment (written by an older version) gets unbound v2 frames until it rotates.
   */
  #seal(buf: Uint8Array, count: number, base: number, runs: readonly Run[]): Uint8Array {
    const hashes = count * HASH_BYTES > this.#smallHashes.length ? new Uint8Array(count * HASH_BYTES) : this.#smallHashes;
    const first = runs[0]!;
    const tailVersion = first.fresh ? FORMAT_VERSION : this.segments.last!.version;
    if (tailVersion === FORMAT_VERSION) hashBackend.sealFrames(buf, count, hashes, base);
    else {
      const end = first.end;
      hashBackend.sealFrames(buf.subarray(0, end), first.records, hashes, frameBinding(tailVersion, base));
      if (count > first.records) hashBackend.sealFrames(buf.subarray(end), count - first.records, hashes.subarray(first.records * HASH_BYTES), base + end);
    }
    return hashes === this.#smallHashes ? hashes.slice(0, count * HASH_BYTES) : hashes;
  }

  /**
   * Cuts the active segment back to its data and syncs that (before rotation, and at
   * close): preallocated zeros may remain only at the end of the last segment. Done
   * even when the size already looks right: after a failed fsync the size we see may
   * never have reached the disk (the simulated disk's crash tests found that case).
   */
  async trimActive(): Promise<void> {
    const seg = this.segments.last!;
    if (!this.#prealloc) return;
    this.io.truncate(seg.fd, filePos(seg, seg.end));
    await this.io.fsync(seg.fd);
  }

  async #syncActive(): Promise<void> {
    if (this.durableOffset >= this.writtenOffset) return;
    const end = this.writtenOffset;
    const t0 = performance.now();
    await this.io.fsync(this.segments.last!.fd);
    await this.io.writev(this.wmFd, [encodeWatermark(end)], 0, false);
    this.counters.recordBatch(0, 0, true, (performance.now() - t0) * 1000);
    this.#advanceDurable(end);
  }

  #advanceDurable(end: number): void {
    if (end > this.durableOffset) {
      this.durableOffset = end;
      this.#hooks.onDurable(end);
      this.#watermark.changed();
    }
  }

  /** Fsyncs the watermark file if it changed since its last sync (also at close). An error fail-stops. */
  syncWatermark(): Promise<void> {
    return this.#watermark.sync();
  }

  /** Fail-stop (rule 8): nothing is retried; this batch, the queue and later calls all reject. */
  #fail(err: unknown, batch: Entry[]): void {
    this.failStop(err);
    for (const e of batch) e.reject(this.failed!);
  }

  /** Puts the journal in the failed state (also used by cleanup's I/O); returns the error. */
  failStop(err: unknown): JournalFailedError {
    if (!this.failed) this.failed = err instanceof JournalFailedError ? err : new JournalFailedError(err);
    for (const e of this.#queue.splice(0)) e.reject(this.failed);
    return this.failed;
  }
}
