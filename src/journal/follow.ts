/** follow(): yields records as they become durable, then waits for more until aborted. */
import type { JournalRecord } from './read.js';

export interface FollowSource {
  /** The end up to which records may be yielded (the durable watermark). */
  visibleEnd(): number;
  iterateRange(from: number, end: number): AsyncGenerator<JournalRecord>;
  /** Resolves when the visible end may have moved past `pos`, or on abort. */
  waitForMore(pos: number, signal: AbortSignal | undefined): Promise<void>;
}

export async function* followRecords(src: FollowSource, from: number, signal: AbortSignal | undefined): AsyncGenerator<JournalRecord> {
  let pos = from;
  while (!signal?.aborted) {
    const end = src.visibleEnd();
    if (pos < end) {
      for await (const rec of src.iterateRange(pos, end)) {
        yield rec;
        pos = rec.next;
        if (signal?.aborted) return;
      }
      continue;
    }
    await src.waitForMore(pos, signal);
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
