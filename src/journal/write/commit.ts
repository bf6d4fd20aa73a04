/**
 * What the journal sees of group commit (write/group-commit.ts): it submits, reads the
 * offsets, syncs and closes; the queue, batching, rotation and the watermark stay inside.
 */
import type { JournalFailedError } from '../../errors.js';
import { HASH_BYTES } from '../../format/frame.js';
import type { Segment } from '../segments.js';
import type { SyncCounters } from '../stats.js';

export type Durability = 'group' | 'each' | 'none';

export interface AppendResult {
  readonly offset: number;
  readonly next: number;
  /** BLAKE3-256 of the payload. */
  readonly hash: Uint8Array;
}

/** An append's result; `hash` is copied out of the batch's hash buffer on first use. */
export class Appended implements AppendResult {
  #hashes: Uint8Array;
  #index: number;
  #hash: Uint8Array | undefined;
  constructor(
    readonly offset: number,
    readonly next: number,
    hashes: Uint8Array,
    index: number,
  ) {
    this.#hashes = hashes;
    this.#index = index;
  }
  get hash(): Uint8Array {
    return (this.#hash ??= this.#hashes.slice(this.#index * HASH_BYTES, (this.#index + 1) * HASH_BYTES));
  }
  toJSON(): { offset: number; next: number; hash: string } {
    return { offset: this.offset, next: this.next, hash: Buffer.from(this.hash).toString('hex') };
  }
}

/** What group commit tells its journal. */
export interface CommitHooks {
  /** The durable end moved to `end`. */
  onDurable(end: number): void;
  /** A segment was sealed by rotation (trimmed, synced, its successor created). */
  onSealed(sealed: Segment): void;
}

/** Group commit, as the journal uses it. */
export interface Commit {
  /** Next offset to hand out. */
  readonly nextOffset: number;
  /** End of what was written to the OS and acknowledged. */
  readonly writtenOffset: number;
  /** End of what a sync has covered. Only moves forward. */
  readonly durableOffset: number;
  readonly failed: JournalFailedError | null;
  /** close() was called: new appends are refused. */
  readonly closed: boolean;
  /** Calls queued, not yet written. */
  readonly pending: number;
  readonly counters: SyncCounters;
  /** `payloadBytes`: the payloads' total length (the caller summed it while checking them). */
  submit(payloads: readonly Uint8Array[], payloadBytes: number): Promise<AppendResult[]>;
  submitOne(payload: Uint8Array): Promise<AppendResult>;
  sync(): Promise<void>;
  failStop(err: unknown): JournalFailedError;
  close(): void;
  finishClose(): Promise<void>;
}
