/** Counters for stats(): syncs, records per sync (log2 histogram), fsync latency percentiles. */

export interface SyncStats {
  syncs: number;
  batches: number;
  records: number;
  bytes: number;
  /** Histogram of records per sync: key "1", "2-3", "4-7", ... -> count. */
  recordsPerSync: Record<string, number>;
  /** Write+sync latency in microseconds over the last 4096 batches. */
  syncLatencyMicros: { p50: number; p90: number; p99: number; max: number };
}

const WINDOW = 4096;

export class SyncCounters {
  syncs = 0;
  batches = 0;
  records = 0;
  bytes = 0;
  #hist = new Map<number, number>();
  #lat = new Float64Array(WINDOW);
  #latCount = 0;

  recordBatch(records: number, bytes: number, synced: boolean, micros: number): void {
    this.batches++;
    this.records += records;
    this.bytes += bytes;
    if (!synced) return;
    this.syncs++;
    const bucket = records <= 0 ? 0 : 31 - Math.clz32(records);
    this.#hist.set(bucket, (this.#hist.get(bucket) ?? 0) + 1);
    this.#lat[this.#latCount++ % WINDOW] = micros;
  }

  snapshot(): SyncStats {
    const n = Math.min(this.#latCount, WINDOW);
    const lat = Array.from(this.#lat.subarray(0, n)).sort((a, b) => a - b);
    const pct = (p: number) => (n === 0 ? 0 : Math.round(lat[Math.min(n - 1, Math.floor(p * n))]!));
    const recordsPerSync: Record<string, number> = {};
    for (const [b, count] of [...this.#hist].sort((a, c) => a[0] - c[0])) {
      const lo = 2 ** b;
      const hi = 2 ** (b + 1) - 1;
      recordsPerSync[lo === hi ? String(lo) : `${lo}-${hi}`] = count;
    }
    return {
      syncs: this.syncs,
      batches: this.batches,
      records: this.records,
      bytes: this.bytes,
      recordsPerSync,
      syncLatencyMicros: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: n === 0 ? 0 : Math.round(lat[n - 1]!) },
    };
  }
}
