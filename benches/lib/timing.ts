/** Timing helpers: fixed-duration concurrent loops, and medians over repeated runs. */
import { median } from './fmt.js';

export interface Rate {
  ops: number;
  seconds: number;
  perSecond: number;
}

/**
 * Runs `concurrency` async loops, each awaiting `op` (one record) again as soon as it
 * settles, until `ms` have passed; the clock stops when the last in-flight op completes.
 * The loops cost little of their own (at concurrency 64 they run inside every group-commit
 * cycle being measured): only loop 0 reads the clock, once per op, and `op` is awaited as
 * given, with no wrapper frame around it. Before, a clock read and an async wrapper per op
 * cost 171 ns per op here, 11 us of a ~170 us 64-record cycle.
 */
export async function runFor(ms: number, concurrency: number, op: (worker: number) => Promise<unknown>): Promise<Rate> {
  let ops = 0;
  let expired = false;
  const t0 = performance.now();
  const deadline = t0 + ms;
  const worker = async (w: number) => {
    try {
      while (!expired) {
        if (w === 0 && performance.now() >= deadline) break;
        await op(w);
        ops++;
      }
    } finally {
      expired = true; // a failed op ends every loop, not only its own (loop 0 may be the one that failed)
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

/** The synchronous version: one loop on this thread (raw syscalls, better-sqlite3). */
export function runForSync(ms: number, op: () => number): Rate {
  let ops = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  while (performance.now() < deadline) ops += op();
  const seconds = (performance.now() - t0) / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

/** Seconds taken by fn (awaited). */
export async function timeIt(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Collects samples per key across repetitions; medians at the end. */
export class Samples {
  #m = new Map<string, number[]>();
  add(key: string, value: number): void {
    const a = this.#m.get(key);
    if (a) a.push(value);
    else this.#m.set(key, [value]);
  }
  median(key: string): number {
    return median(this.#m.get(key) ?? []);
  }
  all(key: string): number[] {
    return this.#m.get(key) ?? [];
  }
  has(key: string): boolean {
    return this.#m.has(key);
  }
  /**
   * Median over repetitions of a[i] / b[i]: a ratio of two methods measured side
   * by side in the same repetition, robust to a noisy machine drifting between
   * repetitions (both samples of a pair saw the same conditions).
   */
  pairedRatio(a: string, b: string): number {
    const xa = this.all(a);
    const xb = this.all(b);
    const n = Math.min(xa.length, xb.length);
    return median(Array.from({ length: n }, (_, i) => xa[i]! / xb[i]!));
  }
}
