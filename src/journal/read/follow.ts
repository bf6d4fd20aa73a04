/** follow(): yields records as they become durable, then waits for more until aborted or closed; the iterate()/follow() options shared by writer and reader. */
import { throwIfAborted } from '../../errors.js';
import { keysOf } from '../../validate.js';
import type { JournalRecord } from './record-reader.js';

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

export const ITERATE_OPTION_KEYS = keysOf<IterateOptions>({ from: true, to: true, signal: true });
export const FOLLOW_OPTION_KEYS = keysOf<FollowOptions>({ from: true, signal: true });

interface FollowSource {
  /** The end up to which records may be yielded (the durable watermark). */
  visibleEnd(): number;
  iterateRange(from: number, end: number): AsyncGenerator<JournalRecord>;
  /** Resolves when the visible end may have moved past `pos`, or on abort. */
  waitForMore(pos: number, signal: AbortSignal): Promise<void>;
}

/**
 * The caller's `signal` aborting rejects with an AbortError (as events.on does);
 * `closed` aborting (the journal or reader closed) ends the iteration quietly.
 */
export async function* followRecords(src: FollowSource, from: number, signal: AbortSignal | undefined, closed: AbortSignal): AsyncGenerator<JournalRecord> {
  const wake = signal ? AbortSignal.any([signal, closed]) : closed;
  let pos = from;
  throwIfAborted(signal);
  while (!closed.aborted) {
    const end = src.visibleEnd();
    if (pos < end) {
      for await (const rec of src.iterateRange(pos, end)) {
        yield rec;
        pos = rec.next;
        throwIfAborted(signal);
        if (closed.aborted) return;
      }
      continue;
    }
    await src.waitForMore(pos, wake);
    throwIfAborted(signal);
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
