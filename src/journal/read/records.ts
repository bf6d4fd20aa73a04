/**
 * iterate(): one record per step out of iterateBatches()' batches. An object with
 * next/return/throw rather than an async generator: a generator's `yield` takes several
 * promise jobs per record (it awaits the value, then settles the consumer's promise),
 * which cost iterate() more than reading and verifying the record did. Here a record
 * already read is a promise resolved at once, and only a step that needs the next batch
 * awaits. It behaves as the generator did: nothing runs before the first step (which
 * opens the batches, and rejects if that throws), calls are answered in order, a step
 * that finds `signal` aborted closes the batches (releasing the segment pinned) and
 * rejects with an AbortError, and return()/throw() close them too.
 */
import { throwIfAborted } from '../../errors.js';
import { asyncDispose } from '../../async-dispose.js';
import type { JournalRecord } from './record-reader.js';

/** %AsyncIteratorPrototype%: [Symbol.asyncIterator], and [Symbol.asyncDispose] where Node has it there. */
const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype) as object;

/** What the first step opens: the batches, and the signal checked before each record. */
export interface RecordSource {
  batches: AsyncGenerator<JournalRecord[]>;
  signal: AbortSignal | undefined;
}

export class Records implements AsyncGenerator<JournalRecord> {
  #batch: JournalRecord[] = [];
  #i = 0;
  #done = false;
  /** The last step that had to wait (for a batch, or to close), while it runs: later calls queue behind it. */
  #busy: Promise<unknown> | null = null;

  #open: (() => RecordSource) | null;
  #batches: AsyncGenerator<JournalRecord[]> | null = null;
  #signal: AbortSignal | undefined = undefined;

  constructor(open: () => RecordSource) {
    this.#open = open;
  }

  next(): Promise<IteratorResult<JournalRecord>> {
    if (this.#busy === null && this.#i < this.#batch.length && !this.#signal?.aborted) {
      return Promise.resolve({ value: this.#batch[this.#i++]!, done: false });
    }
    return this.#queue(() => this.#step());
  }

  return(value?: unknown): Promise<IteratorResult<JournalRecord>> {
    return this.#queue(async () => {
      await this.#close();
      return { value: (await value) as JournalRecord, done: true };
    });
  }

  throw(err?: unknown): Promise<IteratorResult<JournalRecord>> {
    return this.#queue(async () => {
      await this.#close();
      throw err;
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [asyncDispose](): Promise<void> {
    await this.return();
  }

  async #step(): Promise<IteratorResult<JournalRecord>> {
    if (this.#open !== null) {
      const open = this.#open;
      this.#open = null;
      try {
        ({ batches: this.#batches, signal: this.#signal } = open());
      } catch (err) {
        this.#finish();
        throw err;
      }
    }
    if (this.#signal?.aborted && !this.#done) {
      await this.#close();
      throwIfAborted(this.#signal);
    }
    for (;;) {
      if (this.#done) return { value: undefined, done: true };
      if (this.#i < this.#batch.length) return { value: this.#batch[this.#i++]!, done: false };
      let r: IteratorResult<JournalRecord[]>;
      try {
        r = await this.#batches!.next();
      } catch (err) {
        this.#finish();
        throw err;
      }
      if (r.done) this.#finish();
      else {
        this.#batch = r.value;
        this.#i = 0;
      }
    }
  }

  /** Runs `op` once every earlier step has settled (as a generator answers calls in order). */
  #queue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#busy === null ? op() : this.#busy.then(op, op);
    this.#busy = run;
    // Registered before the caller can await `run`, so it runs first: the caller's next call takes the quick way.
    const idle = () => {
      if (this.#busy === run) this.#busy = null;
    };
    run.then(idle, idle);
    return run;
  }

  async #close(): Promise<void> {
    if (this.#done) return;
    this.#finish();
    await this.#batches?.return(undefined);
  }

  #finish(): void {
    this.#open = null;
    this.#done = true;
    this.#batch = [];
    this.#i = 0;
  }
}
Object.setPrototypeOf(Records.prototype, AsyncIteratorPrototype);
