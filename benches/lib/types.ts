/**
 * The shape every comparative bench returns. A bench module exports
 *
 *     export async function run(opts: RunOptions): Promise<BenchResult>
 *
 * and runs itself when executed directly (`npx tsx benches/NAME.ts [--quick]`),
 * so a driver (a later `stemedb bench`) can import several benches, run them in
 * one process and build one report from their results.
 *
 * Conventions
 * - Every figure in a table is a median over repeated runs (or mitata's p50 of
 *   its samples); nothing is hard-coded: ratios compare against peers measured
 *   in the same run, on the same machine, in the same process.
 * - Numbers are stored already rounded to a sensible precision (see fmt.ts), as
 *   numbers, so JSON consumers can compare them; `null` is "not applicable".
 * - `backend` is stemedb's `backendInfo` at the time of the run: a run on the
 *   wasm fallback must never be mistaken for a native one.
 */

/** Options every bench accepts. */
export interface RunOptions {
  /** A small, fast version (CI smoke runs, development): fewer bytes, shorter timings. */
  quick: boolean;
}

/** The machine a result was measured on. */
export interface MachineInfo {
  /** e.g. "AMD EPYC" (from os.cpus()). */
  cpuModel: string;
  /** Logical cores visible to the process. */
  cores: number;
  /** The SIMD features that decide which hash paths can run (subset of /proc/cpuinfo flags). */
  cpuFeatures: string[];
  /** process.version, e.g. "v20.20.2". */
  node: string;
  v8: string;
  platform: string;
  arch: string;
  /** os.release(). */
  kernel: string;
  memoryGiB: number;
  /** os.tmpdir(): where bench data directories are created. */
  tmpDir: string;
  /** `df` of tmpDir: the device and filesystem the disk benches hit. */
  disk: { device: string; fsType: string; mount: string; sizeGiB: number; availGiB: number } | null;
  /** 1/5/15-minute load averages at the start: other work on a shared machine skews figures. */
  loadAvg: [number, number, number];
  /** ISO-8601 start time of the run. */
  date: string;
}

/** stemedb's backendInfo: which hash backend and code paths ran. */
export interface BackendInfo {
  backend: 'native' | 'wasm';
  /** Why this backend: 'native addon loaded', 'STEMEDB_BACKEND=wasm', or the load error. */
  reason: string;
  /** CRC32C code path, e.g. 'avx512-vpclmulqdq' or 'hash-wasm'. */
  crc32c: string;
  /** BLAKE3 code path, e.g. 'avx512' or 'hash-wasm (...)'. */
  blake3: string;
}

/** A table cell: a (rounded) number, a label, or null for "n/a". */
export type Cell = string | number | null;

export interface Table {
  title: string;
  /** Column headers; units go in the header, e.g. "ns/op", "GB/s". */
  columns: string[];
  /** One array per row, as long as `columns`. */
  rows: Cell[][];
  /** Footnotes printed under the table (how a figure was measured, caveats). */
  notes?: string[];
}

/** A target from the issue, checked against this run's figures. */
export interface Target {
  /** What is measured, e.g. "CRC32C @ 1 MiB vs best peer". */
  what: string;
  /** The requirement in words, e.g. ">= 2x best peer GB/s". */
  target: string;
  /** What this run measured, in words, with the numbers it was decided on. */
  measured: string;
  pass: boolean;
  /** The measured value the decision used (a ratio, a rate, a time), when there is one number. */
  value?: number;
  /** The threshold `value` was compared with. */
  limit?: number;
}

/** What code was measured: the tree moves fast, so every result says which state it saw. */
export interface SourceInfo {
  /** `git rev-parse HEAD`, or null outside a checkout. */
  commit: string | null;
  /** Uncommitted changes under src/ or native/ at the start of the run (null: unknown). */
  dirty: boolean | null;
  /** The native addon file node-gyp-build would load first, and when it was built (null: none). */
  addon: { path: string; builtAt: string } | null;
}

/** One bar of a compared group: a method's figure (higher is faster) and its paired speed ratio to the floor. */
export interface Bar {
  /** The method as its table names it. */
  name: string;
  /** Median figure, in the group's unit; higher is faster. */
  value: number;
  /** Paired speed ratio to the group's floor (each run ÷ the floor's run of the same repetition, median); null without a floor. */
  toFloor: number | null;
}

/**
 * One compared group of the report's chart: the same work done by stemedb, by its
 * best peer (the fastest by median) and by the physical floor on this machine (raw
 * reads, raw read + verify, raw write + sync over zeros, hashing alone). Built from a
 * table's cells by `floorGroup` (lib/floor.ts), so the chart shows what the tables print.
 */
export interface FloorGroup {
  /** The work compared, e.g. "'group' appends, concurrency 64". */
  title: string;
  /** What `value` counts, e.g. "durable records/s" (always higher = faster). */
  unit: string;
  ours: Bar;
  /** null: no peer does this work (the text says why in `noPeer`). */
  peer: Bar | null;
  /** null: this work has no physical floor here (the text says why in `noFloor`). */
  floor: Bar | null;
  noPeer?: string;
  noFloor?: string;
}

export interface BenchResult {
  /** The bench's name; also the JSON file name: bench-results/<name>.json. */
  name: string;
  quick: boolean;
  machine: MachineInfo;
  backend: BackendInfo;
  source: SourceInfo;
  /** Wall time of the whole run, ms. */
  durationMs: number;
  tables: Table[];
  targets: Target[];
  /** Run-wide remarks: peer implementations actually loaded, warm-cache caveats, etc. */
  notes: string[];
  /** The compared groups the report charts (ours, best peer, floor); absent in results written before there were any. */
  groups?: FloorGroup[];
}

/** What a bench module exports. */
export type BenchRun = (opts: RunOptions) => Promise<BenchResult>;
