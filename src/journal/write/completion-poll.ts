/**
 * Keeps the event loop turning while a batch's write (and sync) is in flight, so its
 * completion is picked up within microseconds instead of after a thread wake-up.
 *
 * Why: the write loop reports a finished job through libuv's async handle; a JS thread
 * asleep in epoll must then be woken, which on a virtual machine with idle cores costs
 * 25-40 µs per job (the per-phase table in docs/durability.md), a fifth of a 64-record
 * group-commit cycle over a fast disk. While setImmediate callbacks are pending, libuv
 * polls for I/O without blocking, so the thread never sleeps.
 *
 * The cost is CPU on the JS thread (other callbacks still run: nothing is blocked), so it
 * polls only for about twice the recent job time, and not at all where jobs take longer
 * than half of `maxMicros` (a slow disk, where a wake-up is a small part of the wait).
 */
export class CompletionPoll {
  /** Moving average of recent job times (µs); 0 before the first. */
  #avgMicros = 0;
  /** performance.now() until which the current poll turns the loop. */
  #until = 0;
  #turning = false;

  /** maxMicros 0: never poll. */
  constructor(readonly maxMicros: number) {}

  /** A batch's job was submitted. */
  begin(): void {
    const budget = 2 * this.#avgMicros;
    if (this.maxMicros === 0 || budget === 0 || budget > this.maxMicros) return;
    this.#until = performance.now() + budget / 1000;
    if (!this.#turning) {
      this.#turning = true;
      setImmediate(this.#turn);
    }
  }

  /** It completed after `micros` (the next poll's budget follows it). */
  end(micros: number): void {
    this.#until = 0;
    this.#avgMicros = this.#avgMicros === 0 ? micros : this.#avgMicros + (micros - this.#avgMicros) / 8;
  }

  #turn = (): void => {
    if (performance.now() < this.#until) setImmediate(this.#turn);
    else this.#turning = false;
  };
}
