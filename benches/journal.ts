/**
 * Journal throughput bench: append N records of 128 B and of 4 KiB with one
 * sync at the end (durability 'none', syncIntervalMs 0, then sync()), and read
 * them back with iterate() (every record's CRC32C and BLAKE3 verified).
 *
 * Write methods, each timed from the first append to the end of the final sync:
 *   stemedb append(), awaited one at a time            (batch 1)
 *   stemedb append(), all issued, then awaited         (batch 1, pipelined: group commit batches them)
 *   stemedb appendBatch() of 1000 payloads, awaited     (batch 1000)
 *   raw fs.writeSync of the pre-built frames, one per record, + fdatasync   (batch 1)
 *   raw fs.writeSync of 1000 pre-built frames at a time, + fdatasync        (batch 1000)
 *   better-sqlite3: WAL, synchronous=NORMAL, 1000 rows per transaction, the
 *     same bytes as BLOBs, then PRAGMA wal_checkpoint(FULL)                 (batch 1000)
 * The raw baselines write exactly stemedb's frame bytes, hashed beforehand
 * (hashing excluded from their time): they are the I/O floor.
 *
 * Read methods (4-KiB records, warm page cache: the data was just written):
 *   stemedb iterate() (verifies every record)
 *   raw read of the segment files in 1 MiB blocks, no verification (floor)
 *   raw read + verifyFrames() on each block (the verification primitive, no iterator)
 *   better-sqlite3 SELECT v FROM r (iterate(); no verification)
 *
 * Each method runs 5 times (3 with --quick; fresh directory each time, interleaved
 * with the other methods); tables show medians and the min–max over runs. Run: `npx tsx benches/journal.ts [--quick]`
 */
import { closeSync, fdatasyncSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_HEADER, parseSegmentName } from '../src/format/segment.js';
import { randomFillSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { Journal, verifyFrames } from '../src/index.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  Samples,
  buildFrames,
  bytesLabel,
  finishResult,
  isMain,
  log,
  main,
  makeTempDir,
  removeTempDir,
  sig,
  spread,
  startResult,
  target,
  timeIt,
  versions,
} from './lib/index.js';

const BATCH = 1000;
const SQLITE = 'better-sqlite3 WAL NORMAL, 1000 rows/txn + checkpoint';

interface Case {
  size: number;
  count: number;
}

function makePayloads(size: number, count: number): Buffer[] {
  const all = randomFillSync(Buffer.allocUnsafe(size * count));
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

async function openNone(dir: string): Promise<Journal> {
  return Journal.open(dir, { durability: 'none', syncIntervalMs: 0 });
}

type WriteMethod = { name: string; batch: number; run: (dir: string, payloads: Buffer[]) => Promise<number> };

function writeMethods(frames: ReturnType<typeof buildFrames>): WriteMethod[] {
  return [
    {
      name: 'stemedb append() awaited each',
      batch: 1,
      run: async (dir, payloads) => {
        const j = await openNone(dir);
        const s = await timeIt(async () => {
          for (const p of payloads) await j.append(p);
          await j.sync();
        });
        await j.close();
        return s;
      },
    },
    {
      name: 'stemedb append() pipelined',
      batch: 1,
      run: async (dir, payloads) => {
        const j = await openNone(dir);
        const s = await timeIt(async () => {
          const pending: Array<Promise<unknown>> = new Array(payloads.length);
          for (let i = 0; i < payloads.length; i++) pending[i] = j.append(payloads[i]!);
          await Promise.all(pending);
          await j.sync();
        });
        await j.close();
        return s;
      },
    },
    {
      // The same without the copy append() makes of a payload below 64 KiB at the call
      // (commit.submitOne is what append() hands the payload to): the cost of that copy.
      name: 'stemedb append() pipelined, uncopied',
      batch: 1,
      run: async (dir, payloads) => {
        const j = await openNone(dir);
        const s = await timeIt(async () => {
          const pending: Array<Promise<unknown>> = new Array(payloads.length);
          for (let i = 0; i < payloads.length; i++) pending[i] = j.commit.submitOne(payloads[i]!);
          await Promise.all(pending);
          await j.sync();
        });
        await j.close();
        return s;
      },
    },
    {
      name: 'stemedb appendBatch(1000)',
      batch: BATCH,
      run: async (dir, payloads) => {
        const j = await openNone(dir);
        const s = await timeIt(async () => {
          for (let i = 0; i < payloads.length; i += BATCH) await j.appendBatch(payloads.slice(i, i + BATCH));
          await j.sync();
        });
        await j.close();
        return s;
      },
    },
    {
      name: 'stemedb appendBatch(1000), uncopied',
      batch: BATCH,
      run: async (dir, payloads) => {
        const j = await openNone(dir);
        const s = await timeIt(async () => {
          for (let i = 0; i < payloads.length; i += BATCH) await j.commit.submit(payloads.slice(i, i + BATCH));
          await j.sync();
        });
        await j.close();
        return s;
      },
    },
    {
      name: 'raw writeSync per record + fdatasync',
      batch: 1,
      run: async (dir) => {
        const fd = openSync(join(dir, 'raw.wal'), 'w');
        const s = await timeIt(() => {
          const { buf, offsets, count } = frames;
          for (let i = 0; i < count; i++) writeSync(fd, buf, offsets[i]!, offsets[i + 1]! - offsets[i]!);
          fdatasyncSync(fd);
        });
        closeSync(fd);
        return s;
      },
    },
    {
      name: 'raw writeSync per 1000 + fdatasync',
      batch: BATCH,
      run: async (dir) => {
        const fd = openSync(join(dir, 'raw.wal'), 'w');
        const s = await timeIt(() => {
          const { buf, offsets, count } = frames;
          for (let i = 0; i < count; i += BATCH) {
            const a = offsets[i]!;
            const b = offsets[Math.min(count, i + BATCH)]!;
            writeSync(fd, buf, a, b - a);
          }
          fdatasyncSync(fd);
        });
        closeSync(fd);
        return s;
      },
    },
    {
      name: SQLITE,
      batch: BATCH,
      run: async (dir, payloads) => {
        const db = openSqlite(join(dir, 'db.sqlite'));
        const insert = db.prepare('INSERT INTO r (v) VALUES (?)');
        const tx = db.transaction((rows: Buffer[]) => {
          for (const p of rows) insert.run(p);
        });
        const s = await timeIt(() => {
          for (let i = 0; i < payloads.length; i += BATCH) tx(payloads.slice(i, i + BATCH));
          db.pragma('wal_checkpoint(FULL)');
        });
        db.close();
        return s;
      },
    },
  ];
}

function openSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  return db;
}

/** Reads every segment file of a journal dir in 1 MiB blocks; verify=true runs verifyFrames on each block. */
function rawReadJournal(dir: string, verify: boolean): { bytes: number; records: number } {
  const block = new Uint8Array(1 << 20);
  let bytes = 0;
  let records = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort()) {
    const fd = openSync(join(dir, name), 'r');
    // v3 frames are bound to their global offset: the segment's base + the position past its header.
    const base = parseSegmentName(name)!;
    try {
      let pos = SEGMENT_HEADER;
      for (;;) {
        const n = readSync(fd, block, 0, block.length, pos);
        if (n === 0) break;
        bytes += n;
        if (!verify) {
          pos += n;
          continue;
        }
        const walk = verifyFrames(block, { end: n, offset: base + pos - SEGMENT_HEADER });
        records += walk.count;
        if (walk.end === 0) throw new Error(`raw verify: ${walk.reason} at ${name}:${pos}`);
        bytes -= n - walk.end; // re-read the partial frame at the block's end
        pos += walk.end;
        if (walk.reason !== 'ok' && walk.reason !== 'truncated payload' && walk.reason !== 'truncated header') {
          throw new Error(`raw verify: ${walk.reason} at ${name}:${pos}`);
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return { bytes, records };
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('journal', opts);
  // Runs per method: short runs on a noisy shared machine want several.
  const REPS = opts.quick ? 3 : 5;
  const cases: Case[] = opts.quick
    ? [
        { size: 128, count: 20_000 },
        { size: 4096, count: 5_000 },
      ]
    : [
        { size: 128, count: 200_000 },
        { size: 4096, count: 50_000 },
      ];
  res.notes.push(`${REPS} runs per method (interleaved), medians shown; each run in a fresh directory under ${res.machine.tmpDir}, removed afterwards.`);
  res.notes.push("stemedb runs with durability 'none' and syncIntervalMs 0: nothing is synced until the final sync().");
  res.notes.push(`peers: ${versions(['better-sqlite3'])}`);

  const writeRows: Cell[][] = [];
  const rates = new Map<string, number>();
  let iterateTable: { rows: Cell[][]; gbps: number } | null = null;

  for (const c of cases) {
    const payloads = makePayloads(c.size, c.count);
    const frames = buildFrames(payloads);
    const methods = writeMethods(frames);
    const samples = new Samples();
    // The last run's journal and SQLite file (same records) are kept for the read side.
    const keep = new Map<string, string>();
    for (let rep = 0; rep < REPS; rep++) {
      for (const m of methods) {
        const dir = makeTempDir('journal');
        const s = await m.run(dir, payloads);
        samples.add(m.name, s);
        log(`  ${bytesLabel(c.size)} × ${c.count} ${m.name.padEnd(52)} ${sig(s * 1000, 4)} ms`);
        if (c.size === 4096 && rep === REPS - 1 && (m.name === 'stemedb appendBatch(1000)' || m.name === SQLITE)) keep.set(m.name, dir);
        else removeTempDir(dir);
      }
    }
    if (keep.size > 0) {
      iterateTable = await readSide(keep.get('stemedb appendBatch(1000)')!, join(keep.get(SQLITE)!, 'db.sqlite'), c, REPS);
      for (const d of keep.values()) removeTempDir(d);
    }
    // Per-rep rates, so ratios can be paired within a repetition.
    const rateOf = new Samples();
    for (const m of methods) for (const sec of samples.all(m.name)) rateOf.add(m.name, c.count / sec);
    const rawKey = 'raw writeSync per 1000 + fdatasync';
    for (const m of methods) {
      const s = samples.median(m.name);
      const perSec = c.count / s;
      rates.set(`${c.size}:${m.name}`, perSec);
      writeRows.push([
        bytesLabel(c.size),
        m.name,
        m.batch,
        sig(perSec, 3),
        spread(rateOf.all(m.name)),
        sig((c.count * c.size) / s / 1e6, 3),
        sig(rateOf.pairedRatio(m.name, rawKey), 3),
      ]);
    }
  }

  res.tables.push({
    title: 'Append N records, one sync at the end',
    columns: ['record', 'method', 'batch', 'records/s', 'runs min–max', 'MB/s (payload)', 'rate ÷ raw per-1000'],
    rows: writeRows,
    notes: [
      `N = ${cases.map((c) => `${c.count.toLocaleString('en-US')} × ${bytesLabel(c.size)}`).join(', ')}; time = first append .. final sync done (median of ${REPS}).`,
      "Raw baselines write stemedb's exact frame bytes (40-byte header + payload), hashed beforehand: hashing is not in their time.",
      'stemedb rotates segments at 64 MiB (the default): the finished segment is fsynced and the next created durably; the raw baselines write one file.',
      "better-sqlite3 stores the payloads as BLOBs (no checksums of its own beyond SQLite's); its time includes the final checkpoint.",
      '"uncopied" rows hand the payloads to group commit directly, skipping the copy append()/appendBatch() make at the call of each payload below 64 KiB (and the argument checks): the difference is that copy\'s cost.',
      '"rate ÷ raw per-1000" is paired: each run ÷ the raw run of the same repetition, median over repetitions.',
    ],
  });
  if (iterateTable) {
    res.tables.push({
      title: 'Read back 4-KiB records (warm page cache)',
      columns: ['method', 'GB/s (payload)', 'runs min–max', 'records/s', 'rate ÷ raw read'],
      rows: iterateTable.rows,
      notes: ['Warm cache: the records were just written and the page cache cannot be dropped here (no root guarantee).'],
    });
  }

  const batchRate = rates.get('128:stemedb appendBatch(1000)')!;
  target(res, 'appendBatch(1000) of 128-B records', '>= 2 M records/s', batchRate, '>=', 2e6, `${sig(batchRate / 1e6, 3)} M records/s`);
  if (iterateTable) {
    const g = iterateTable.gbps;
    target(res, 'iterate() of 4-KiB records, full verification', '>= 1.5 GB/s', g, '>=', 1.5, `${sig(g, 3)} GB/s (payload bytes; warm cache)`);
  }
  return finishResult(res);
}

async function readSide(journalDir: string, sqlitePath: string, c: Case, REPS: number): Promise<{ rows: Cell[][]; gbps: number }> {
  const payloadBytes = c.count * c.size;
  const samples = new Samples();
  const methods: Array<{ name: string; run: () => Promise<number> }> = [
    {
      name: 'stemedb iterate() (verifies CRC32C + BLAKE3)',
      run: async () => {
        const j = await Journal.open(journalDir, { durability: 'none', syncIntervalMs: 0 });
        let n = 0;
        let bytes = 0;
        const s = await timeIt(async () => {
          for await (const r of j.iterate()) {
            n++;
            bytes += r.payload.length;
          }
        });
        await j.close();
        if (n !== c.count || bytes !== payloadBytes) throw new Error(`iterate saw ${n} records / ${bytes} bytes, expected ${c.count}`);
        return s;
      },
    },
    {
      name: 'raw read 1 MiB blocks (no verification)',
      run: () => timeIt(() => rawReadJournal(journalDir, false)),
    },
    {
      name: 'raw read + verifyFrames() per block',
      run: async () => {
        let r = { records: 0, bytes: 0 };
        const s = await timeIt(() => {
          r = rawReadJournal(journalDir, true);
        });
        if (r.records !== c.count) throw new Error(`raw verify saw ${r.records} records, expected ${c.count}`);
        return s;
      },
    },
    {
      name: 'better-sqlite3 SELECT v (no verification)',
      run: async () => {
        const db = new Database(sqlitePath, { readonly: true });
        const stmt = db.prepare('SELECT v FROM r ORDER BY id');
        let n = 0;
        const s = await timeIt(() => {
          for (const row of stmt.iterate() as Iterable<{ v: Buffer }>) n += row.v.length > 0 ? 1 : 0;
        });
        db.close();
        if (n !== c.count) throw new Error(`sqlite saw ${n} rows, expected ${c.count}`);
        return s;
      },
    },
  ];
  for (let rep = 0; rep < REPS; rep++) {
    for (const m of methods) {
      const s = await m.run();
      samples.add(m.name, s);
      log(`  read ${m.name.padEnd(48)} ${sig(s * 1000, 4)} ms`);
    }
  }
  const rawKey = 'raw read 1 MiB blocks (no verification)';
  const rows: Cell[][] = methods.map((m) => {
    const s = samples.median(m.name);
    // paired: raw read time ÷ this method's time, per repetition
    return [
      m.name,
      sig(payloadBytes / s / 1e9, 3),
      spread(samples.all(m.name).map((x) => payloadBytes / x / 1e9)),
      sig(c.count / s, 3),
      sig(samples.pairedRatio(rawKey, m.name), 3),
    ];
  });
  return { rows, gbps: payloadBytes / samples.median(methods[0]!.name) / 1e9 };
}

if (isMain(import.meta.url)) await main(run);
