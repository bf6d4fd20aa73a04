/** follow(): yields records as they become durable, then waits for more until aborted or closed; the iterate()/follow() options shared by writer and reader. */
import { throwIfAborted } from '../../errors.js';
import { argRangeError, argTypeError, describe, keysOf } from '../../validate.js';
import { BLOCK_BYTES, type JournalRecord } from './record-reader.js';

export interface IterateOptions {
  /** First offset (a record start; default: the first still present). */
  from?: number;
  /** Stop before this offset (default: the end when called). */
  to?: number;
  /** Aborting rejects the iteration with an AbortError (code 'ABORT_ERR'). */
  signal?: AbortSignal;
}

export interface FollowOptions {
  from?: number;
  /** Aborting rejects the iteration with an AbortError, also while it waits for records. */
  signal?: AbortSignal;
}

/** iterateBatches() and followBatches() take one more option. */
export interface BatchOptions {
  /**
   * Bytes read per block, so per batch (default 1 MiB; an integer in [4096, 2^30]). A record
   * larger than this comes alone, in a batch of its own.
   */
  maxBytes?: number;
}
export interface IterateBatchesOptions extends IterateOptions, BatchOptions {}
export interface FollowBatchesOptions extends FollowOptions, BatchOptions {}

export const ITERATE_OPTION_KEYS = keysOf<IterateOptions>({ from: true, to: true, signal: true });
export const FOLLOW_OPTION_KEYS = keysOf<FollowOptions>({ from: true, signal: true });
export const ITERATE_BATCHES_OPTION_KEYS = keysOf<IterateBatchesOptions>({ from: true, to: true, signal: true, maxBytes: true });
export const FOLLOW_BATCHES_OPTION_KEYS = keysOf<FollowBatchesOptions>({ from: true, signal: true, maxBytes: true });

const MIN_BATCH_BYTES = 4096;
const MAX_BATCH_BYTES = 2 ** 30;

/** options.maxBytes of iterateBatches()/followBatches(), checked; the default when undefined. */
export function checkMaxBytes(value: unknown): number {
  if (value === undefined) return BLOCK_BYTES;
  if (typeof value !== 'number') throw argTypeError(`options.maxBytes must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < MIN_BATCH_BYTES || value > MAX_BATCH_BYTES) {
    throw argRangeError(`options.maxBytes must be an integer in [${MIN_BATCH_BYTES}, 2^30], got ${value}`);
  }
  return value;
}

interface FollowSource {
  /** The end up to which records may be yielded (the durable watermark). */
  visibleEnd(): number;
  /** The records of [from, end), a batch per block read. */
  iterateRange(from: number, end: number): AsyncGenerator<JournalRecord[]>;
  /** Resolves when the visible end may have moved past `pos`, or on abort. */
  waitForMore(pos: number, signal: AbortSignal): Promise<void>;
}

/**
 * Batches of records as they become visible, waiting for more. The caller's `signal`
 * aborting rejects with an AbortError (as events.on does); `closed` aborting (the
 * journal or reader closed) ends the iteration quietly.
 */
export async function* followBatches(src: FollowSource, from: number, signal: AbortSignal | undefined, closed: AbortSignal): AsyncGenerator<JournalRecord[]> {
  const wake = signal ? AbortSignal.any([signal, closed]) : closed;
  let pos = from;
  throwIfAborted(signal);
  while (!closed.aborted) {
    const end = src.visibleEnd();
    if (pos < end) {
      for await (const batch of src.iterateRange(pos, end)) {
        yield batch;
        pos = batch[batch.length - 1]!.next;
        throwIfAborted(signal);
        if (closed.aborted) return;
      }
      continue;
    }
    await src.waitForMore(pos, wake);
    throwIfAborted(signal);
  }
}

/** followBatches() one record per step; `signal` and `closed` are checked after every record. */
export async function* followRecords(src: FollowSource, from: number, signal: AbortSignal | undefined, closed: AbortSignal): AsyncGenerator<JournalRecord> {
  for await (const batch of followBatches(src, from, signal, closed)) {
    for (const rec of batch) {
      yield rec;
      throwIfAborted(signal);
      if (closed.aborted) return;
    }
  }
}

/** Yields `records` until `signal` aborts, then rejects with an AbortError (checked before each record). */
export async function* abortable<T>(records: AsyncGenerator<T>, signal: AbortSignal): AsyncGenerator<T> {
  throwIfAborted(signal);
  for await (const r of records) {
    yield r;
    throwIfAborted(signal);
  }
}

/** A promise that settles on the next notify() or on abort. */
export class Waiters {
  #waiting = new Set<() => void>();
  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        this.#waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
  notify(): void {
    for (const w of [...this.#waiting]) w();
  }
}
