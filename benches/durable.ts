/**
 * Durable-append bench: 128-B records, each acknowledged only once it is on
 * disk (fdatasync/fsync returned), for a fixed time; durable records per second.
 *
 *   stemedb 'each'  at concurrency 1 and 64 (one fdatasync per append)
 *   stemedb 'group' at concurrency 1 and 64 (appends that queue during a sync share the next one)
 *   raw fs.writeSync + fdatasyncSync per record (concurrency 1: the per-record floor)
 *   raw "ideal group": writeSync of 64 pre-built frames, one fdatasyncSync (the group-commit ceiling)
 *   both raw baselines again over zeros written and synced beforehand (the floor: stemedb
 *     preallocates that way, and the extending baselines pay a file-size commit per sync)
 *   better-sqlite3: WAL, synchronous=FULL, one row per transaction (concurrency 1; it is synchronous)
 *   classic-level put(k, v, { sync: true }) at concurrency 1 and 64
 *   lmdb put(k, v) at concurrency 1 and 64, each awaiting its commit and then db.flushed
 *     (lmdb-js batches concurrent puts into one transaction by itself; with its default
 *     overlappingSync a put resolves at commit and `flushed` at the sync)
 *   info, concurrency 64: stemedb 'group' on tmpfs (/dev/shm, where a sync costs next to
 *     nothing: the CPU side of a cycle) and the harness alone (64 loops awaiting promises
 *     settled once per turn, no journal); the notes turn them into what 'group' can reach
 *
 * "Concurrency 64" is 64 async loops, each awaiting its own append before the next.
 * Every method runs for a fixed time (2 s; 0.5 s with --quick), 5 times, interleaved, each
 * repetition after a system-wide sync (so writeback left by earlier benches stays out of it);
 * the table shows medians. Raw baselines write stemedb's exact frame bytes, hashed beforehand.
 *
 * Run: `npx tsx benches/durable.ts [--quick]`
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import Database from 'better-sqlite3';
import { ClassicLevel } from 'classic-level';
import { open as openLmdb } from 'lmdb';
import { Journal } from '../src/index.js';
import {
  type BenchResult,
  type Cell,
  type Rate,
  type RunOptions,
  type Table,
  Samples,
  addGroup,
  buildFrames,
  finishResult,
  isMain,
  log,
  main,
  makeTempDir,
  pairedVerdictText,
  removeTempDir,
  runFor,
  runForSync,
  sig,
  spread,
  startResult,
  target,
  versions,
} from './lib/index.js';

/** Repetitions; their medians are reported. fdatasync latency here wanders by ±20% between runs. */
const REPS = 5;
const RECORD = 128;
const GROUP = 64;
const POOL = 1024;

interface Method {
  name: string;
  concurrency: number;
  /** Runs for `ms` in `dir`; returns the rate and, for stemedb, records per sync. */
  run(dir: string, ms: number): Promise<{ rate: Rate; perSync?: number; hist?: string }>;
}

interface Data {
  payloads: Buffer[];
  frames: ReturnType<typeof buildFrames>;
  frameLen: number;
}

/** A pool of distinct random payloads (cycled through) and their pre-built frames for the raw baselines. */
function makeData(): Data {
  const all = randomFillSync(Buffer.allocUnsafe(RECORD * POOL));
  const payloads = Array.from({ length: POOL }, (_, i) => all.subarray(i * RECORD, (i + 1) * RECORD));
  const frames = buildFrames(payloads);
  return { payloads, frames, frameLen: frames.offsets[1]! - frames.offsets[0]! };
}

function histText(h: Record<string, number>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

function stemedb({ payloads }: Data, durability: 'each' | 'group', concurrency: number): Method {
  return {
    name: `stemedb '${durability}'`,
    concurrency,
    async run(dir, ms) {
      const j = await Journal.open(dir, { durability });
      let i = 0;
      const before = j.stats();
      const rate = await runFor(ms, concurrency, () => j.append(payloads[i++ % POOL]!));
      const st = j.stats();
      await j.close();
      const syncs = st.syncs - before.syncs;
      return { rate, perSync: syncs > 0 ? (st.records - before.records) / syncs : undefined, hist: histText(st.recordsPerSync) };
    },
  };
}

/** A tmpfs, where an fdatasync costs next to nothing (Linux): null elsewhere. */
const MEMORY_DIR = process.platform === 'linux' && existsSync('/dev/shm') ? '/dev/shm' : null;
const IN_MEMORY = "stemedb 'group' on tmpfs (info: the CPU side of a cycle)";
const AWAIT_ALONE = 'harness alone: promises settled once per turn (info)';

/**
 * stemedb 'group' in a tmpfs directory: what a cycle costs besides the disk (appends,
 * sealing, the write loop's handoffs, settling). At concurrency 64 every appender waits
 * for the sync, so on a disk this work runs between syncs, not beside them.
 */
function stemedbInMemory(data: Data): Method {
  const onDisk = stemedb(data, 'group', GROUP);
  return {
    name: IN_MEMORY,
    concurrency: GROUP,
    async run(_dir, ms) {
      const dir = makeTempDir('durable-tmpfs', MEMORY_DIR!);
      try {
        return await onDisk.run(dir, ms);
      } finally {
        removeTempDir(dir);
      }
    },
  };
}

/** The same harness with no journal: each op awaits a promise, all settled together once per event-loop turn. */
function awaitAlone(): Method {
  return {
    name: AWAIT_ALONE,
    concurrency: GROUP,
    async run(_dir, ms) {
      let waiting: Array<() => void> = [];
      let on = true;
      const turn = () => {
        const settle = waiting;
        waiting = [];
        for (const resolve of settle) resolve();
        if (on) setImmediate(turn);
      };
      setImmediate(turn);
      try {
        return { rate: await runFor(ms, GROUP, () => new Promise<void>((resolve) => waiting.push(resolve))) };
      } finally {
        on = false;
      }
    },
  };
}

/**
 * The raw baselines as the issue defines them extend the file with every write. With
 * `zeroFilled` they write over zeros written and synced beforehand (what stemedb's
 * preallocation does): the physical floor, a write and a sync without a file-size commit.
 */
function rawFile(dir: string, zeroFilled: boolean, bytes: number): number {
  const fd = openSync(join(dir, 'raw.wal'), 'w');
  if (zeroFilled) {
    writeSync(fd, new Uint8Array(bytes));
    fdatasyncSync(fd);
  }
  return fd;
}

/** Upper bound of what a baseline can write in `ms` (so its zero-filled file is large enough). */
const RAW_BYTES_PER_MS = 128 << 10; // 128 MB/s: above what the ideal group reaches here

function rawPerRecord({ frames, frameLen }: Data, zeroFilled = false): Method {
  return {
    name: zeroFilled ? 'raw writeSync + fdatasync per record, over written zeros (floor)' : 'raw writeSync + fdatasync per record',
    concurrency: 1,
    async run(dir, ms) {
      const fd = rawFile(dir, zeroFilled, (ms * RAW_BYTES_PER_MS) / 16);
      let i = 0;
      let pos = 0; // explicit: after the zeros the file position is at their end
      const rate = runForSync(ms, () => {
        const k = i++ % POOL;
        writeSync(fd, frames.buf, frames.offsets[k]!, frameLen, pos);
        pos += frameLen;
        fdatasyncSync(fd);
        return 1;
      });
      closeSync(fd);
      return { rate, perSync: 1 };
    },
  };
}

function rawIdealGroup({ frames, frameLen }: Data, zeroFilled = false): Method {
  return {
    name: `raw ideal group (${GROUP} frames, 1 fdatasync)${zeroFilled ? ', over written zeros (floor)' : ''}`,
    concurrency: GROUP,
    async run(dir, ms) {
      const fd = rawFile(dir, zeroFilled, ms * RAW_BYTES_PER_MS);
      let k = 0;
      let pos = 0;
      const rate = runForSync(ms, () => {
        if (k + GROUP > POOL) k = 0;
        writeSync(fd, frames.buf, frames.offsets[k]!, GROUP * frameLen, pos);
        pos += GROUP * frameLen;
        k += GROUP;
        fdatasyncSync(fd);
        return GROUP;
      });
      closeSync(fd);
      return { rate, perSync: GROUP };
    },
  };
}

function sqliteFull({ payloads }: Data): Method {
  return {
    name: 'better-sqlite3 WAL FULL, 1 row/txn',
    concurrency: 1,
    async run(dir, ms) {
      const db = new Database(join(dir, 'db.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
      const insert = db.prepare('INSERT INTO r (v) VALUES (?)');
      let i = 0;
      const rate = runForSync(ms, () => {
        insert.run(payloads[i++ % POOL]!); // autocommit: one transaction, one WAL sync
        return 1;
      });
      db.close();
      return { rate, perSync: 1 };
    },
  };
}

function level({ payloads }: Data, concurrency: number): Method {
  return {
    name: 'classic-level put({ sync: true })',
    concurrency,
    async run(dir, ms) {
      const db = new ClassicLevel<string, Uint8Array>(join(dir, 'level'), { valueEncoding: 'view' });
      await db.open();
      let i = 0;
      const rate = await runFor(ms, concurrency, () => {
        const n = i++;
        return db.put(String(n).padStart(12, '0'), payloads[n % POOL]!, { sync: true });
      });
      await db.close();
      return { rate };
    },
  };
}

function lmdb({ payloads }: Data, concurrency: number): Method {
  return {
    name: 'lmdb put + await flushed',
    concurrency,
    async run(dir, ms) {
      const db = openLmdb<Uint8Array, number>({ path: join(dir, 'lmdb'), encoding: 'binary' });
      let i = 0;
      const rate = await runFor(ms, concurrency, async () => {
        const n = i++;
        await db.put(n, payloads[n % POOL]!);
        await db.flushed;
      });
      await db.close();
      return { rate };
    },
  };
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('durable', opts);
  const ms = opts.quick ? 500 : 2000;
  const data = makeData();
  const raw1m = rawPerRecord(data);
  const idealM = rawIdealGroup(data);
  const floor1 = rawPerRecord(data, true);
  const floorM = rawIdealGroup(data, true);
  const group64 = stemedb(data, 'group', GROUP);
  const at1 = { each: stemedb(data, 'each', 1), group: stemedb(data, 'group', 1) };
  // Compared pairs run next to each other: baselines first, then what is compared with them.
  const methods: Method[] = [
    raw1m,
    at1.each,
    at1.group,
    floor1,
    sqliteFull(data),
    level(data, 1),
    lmdb(data, 1),
    idealM,
    group64,
    floorM,
    stemedb(data, 'each', GROUP),
    level(data, GROUP),
    lmdb(data, GROUP),
    ...(MEMORY_DIR ? [stemedbInMemory(data), awaitAlone()] : []),
  ];
  const key = (m: Method) => `${m.name}@${m.concurrency}`;
  const rates = new Samples();
  const perSync = new Samples();
  const hist = new Map<string, string>();
  for (let rep = 0; rep < REPS; rep++) {
    // Start each repetition with a quiet disk: what earlier benches (or methods) left dirty
    // is written back now, not during someone's syncs.
    spawnSync('sync');
    for (const m of methods) {
      const dir = makeTempDir('durable');
      try {
        const r = await m.run(dir, ms);
        rates.add(key(m), r.rate.perSecond);
        if (r.perSync !== undefined) perSync.add(key(m), r.perSync);
        if (r.hist) hist.set(key(m), r.hist);
        log(
          `  rep ${rep + 1} ${m.name.padEnd(42)} c=${String(m.concurrency).padEnd(3)} ${Math.round(r.rate.perSecond)} rec/s${r.perSync ? ` (${sig(r.perSync, 3)}/sync)` : ''}`,
        );
      } finally {
        removeTempDir(dir);
      }
    }
  }
  const rawKey = key(raw1m);
  const idealKey = key(idealM);
  // Ratios are paired: method ÷ baseline within the same repetition, then the median.
  const rows: Cell[][] = methods.map((m) => [
    m.name,
    m.concurrency,
    sig(rates.median(key(m)), 3),
    spread(rates.all(key(m))),
    perSync.has(key(m)) ? sig(perSync.median(key(m)), 3) : null,
    sig(rates.pairedRatio(key(m), rawKey), 3),
    sig(rates.pairedRatio(key(m), idealKey), 3),
    sig(rates.pairedRatio(key(m), key(floor1)), 3),
    sig(rates.pairedRatio(key(m), key(floorM)), 3),
  ]);
  const table: Table = {
    title: `Durable appends of ${RECORD}-B records (${ms / 1000} s per run, median of ${REPS})`,
    columns: [
      'method',
      'concurrency',
      'durable records/s',
      'runs min–max',
      'records/sync',
      '÷ raw per-record',
      '÷ raw ideal group',
      '÷ raw per-record over zeros',
      '÷ raw ideal group over zeros',
    ],
    rows,
    notes: [
      'records/sync for stemedb comes from journal.stats() (records written ÷ fdatasyncs).',
      `stemedb 'group' c=${GROUP}, records-per-sync histogram of the last run: ${hist.get(key(group64)) ?? '—'}`,
      'Ratio columns are paired: each method ÷ the baseline measured in the same repetition (seconds apart), median over repetitions.',
      'Raw baselines run synchronously on the JS thread; stemedb, classic-level and lmdb sync on worker threads.',
      "The raw baselines of the first targets extend the file with every write, so each fdatasync also commits the file size. stemedb's 'group'/'each' write over zeros they wrote ahead (docs/durability.md, Preallocation); the '(floor)' rows do the same raw: the physical floor, a write and an fdatasync per record (concurrency 1) or per 64 records (concurrency 64) and nothing else.",
    ],
  };
  res.tables.push(table);
  const peerPick = (c: number) =>
    methods
      .filter((m) => m.concurrency === c && !m.name.startsWith('stemedb') && !m.name.startsWith('raw') && m.name !== AWAIT_ALONE)
      .map((m) => ({ method: m.name, concurrency: c }));
  for (const [c, floor] of [
    [1, floor1],
    [GROUP, floorM],
  ] as const) {
    addGroup(res, table, {
      title: `128-B appends, concurrency ${c} ('group', the default)`,
      unit: 'durable records/s',
      name: 'method',
      value: 'durable records/s',
      toFloor: c === 1 ? '÷ raw per-record over zeros' : '÷ raw ideal group over zeros',
      ours: { method: "stemedb 'group'", concurrency: c },
      peers: peerPick(c),
      floor: { method: floor.name, concurrency: c },
    });
  }
  const cpuNote = cycleNote(rates, key(group64), key(floorM), `${IN_MEMORY}@${GROUP}`, `${AWAIT_ALONE}@${GROUP}`);
  if (cpuNote) table.notes!.push(cpuNote);
  res.notes.push(`peers: ${versions(['better-sqlite3', 'classic-level', 'lmdb'])}`);
  res.notes.push(`disk: ${res.machine.disk?.device ?? '?'} (${res.machine.disk?.fsType ?? '?'}); durable figures are bound by its fdatasync latency.`);

  const g64 = rates.median(key(group64));
  const ideal = rates.median(idealKey);
  const raw1 = rates.median(rawKey);
  const vsIdeal = rates.pairedRatio(key(group64), idealKey);
  const vsFloor = rates.pairedRatio(key(group64), key(floorM));
  target(res, `'group' at concurrency ${GROUP}`, '>= 150 k durable records/s', g64, '>=', 150_000, `${sig(g64 / 1000, 3)} k records/s`);
  const load = { start: res.machine.loadAvg[0], now: loadavg()[0]!, cores: res.machine.cores };
  target(
    res,
    `'group' at concurrency ${GROUP} vs raw ideal group`,
    '>= 0.85 of the ideal group (same run)',
    vsIdeal,
    '>=',
    0.85,
    pairedVerdictText({ a: g64 / 1000, b: ideal / 1000, paired: vsIdeal, unit: 'k records/s', op: '>=', limit: 0.85, load }),
  );
  target(
    res,
    `'group' at concurrency ${GROUP} vs raw ideal group over written zeros`,
    '>= 0.8 of the floor (same run)',
    vsFloor,
    '>=',
    0.8,
    pairedVerdictText({ a: g64 / 1000, b: rates.median(key(floorM)) / 1000, paired: vsFloor, unit: 'k records/s', op: '>=', limit: 0.8, load }),
  );
  for (const mode of ['each', 'group'] as const) {
    const r = rates.median(key(at1[mode]));
    const q = rates.pairedRatio(key(at1[mode]), rawKey);
    target(
      res,
      `'${mode}' at concurrency 1 vs raw per-record sync`,
      '>= 0.9 of raw writeSync+fdatasync',
      q,
      '>=',
      0.9,
      pairedVerdictText({ a: r, b: raw1, paired: q, unit: 'records/s', op: '>=', limit: 0.9, load }),
    );
  }
  return finishResult(res);
}

/**
 * What 'group' at concurrency 64 can reach on this disk: its cycle is the floor's (write +
 * fdatasync) plus the CPU side measured on tmpfs, so the ratio to the floor is about
 * floor ÷ (floor + CPU side). Null without the tmpfs rows.
 */
function cycleNote(rates: Samples, group: string, floor: string, inMemory: string, alone: string): string | null {
  if (!rates.has(inMemory) || !rates.has(alone)) return null;
  const cycle = (k: string) => (GROUP / rates.median(k)) * 1e6;
  const [f, cpu, harness, measured] = [cycle(floor), cycle(inMemory), cycle(alone), cycle(group)];
  return (
    `Cycle of ${GROUP} records, medians: the floor's ${sig(f, 3)} µs; stemedb's CPU side on tmpfs ${sig(cpu, 3)} µs ` +
    `(the harness awaiting alone: ${sig(harness, 3)} µs); so 'group' c=${GROUP} can reach about ${sig(f / (f + cpu), 3)} of the floor here ` +
    `(measured: ${sig(measured, 3)} µs per cycle, ${sig(f / measured, 3)}). A ratio of 0.8 needs the CPU side under ${sig(f / 4, 3)} µs.`
  );
}

if (isMain(import.meta.url)) await main(run);
