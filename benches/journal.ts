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
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { readSide, type ReadSide } from './journal-read.js';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { Journal } from '../src/index.js';
import { hashBackend } from '../src/hash/index.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  type Table,
  Samples,
  addGroup,
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
const RAW_HASHED = 'raw seal (BLAKE3 + CRC32C) + writeSync per 1000 + fdatasync';
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
      // The floor for appendBatch(): what it cannot avoid, hashing (BLAKE3 + CRC32C, one
      // native call per 1000 laid-out frames, as group commit seals) and the write.
      name: RAW_HASHED,
      batch: BATCH,
      run: async (dir) => {
        const fd = openSync(join(dir, 'raw.wal'), 'w');
        const hashes = new Uint8Array(BATCH * 32);
        const s = await timeIt(() => {
          const { buf, offsets, count } = frames;
          for (let i = 0; i < count; i += BATCH) {
            const n = Math.min(BATCH, count - i);
            const a = offsets[i]!;
            const b = offsets[i + n]!;
            hashBackend.sealFrames(buf.subarray(a, b), n, hashes, a);
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

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('journal', opts);
  // Runs per method: short runs on a noisy shared machine want several.
  const REPS = opts.quick ? 3 : 5;
  // While working on one side: `--read` (4-KiB case, only the writes the read side needs) or `--write` (no read side).
  const only = process.argv.includes('--read') ? 'read' : process.argv.includes('--write') ? 'write' : null;
  const allCases: Case[] = opts.quick
    ? [
        { size: 128, count: 20_000 },
        { size: 4096, count: 5_000 },
      ]
    : [
        { size: 128, count: 200_000 },
        { size: 4096, count: 50_000 },
      ];
  const cases = only === 'read' ? allCases.filter((c) => c.size === 4096) : allCases;
  res.notes.push(`${REPS} runs per method (interleaved), medians shown; each run in a fresh directory under ${res.machine.tmpDir}, removed afterwards.`);
  res.notes.push("stemedb runs with durability 'none' and syncIntervalMs 0: nothing is synced until the final sync().");
  res.notes.push(`peers: ${versions(['better-sqlite3'])}`);

  const writeRows: Cell[][] = [];
  const rates = new Map<string, number>();
  const batchFloor = new Map<number, number>();
  let iterateTable: ReadSide | null = null;

  for (const c of cases) {
    const payloads = makePayloads(c.size, c.count);
    const frames = buildFrames(payloads);
    const methods = writeMethods(frames).filter((m) => only !== 'read' || m.name === 'stemedb appendBatch(1000)' || m.name === SQLITE);
    const samples = new Samples();
    // The last run's journal and SQLite file (same records) are kept for the read side.
    const keep = new Map<string, string>();
    // One untimed run of each method first: the timed ones then measure warm code (the JIT has
    // compiled stemedb's paths; the raw loops need none), as in a long-running process.
    for (const m of methods) {
      const dir = makeTempDir('journal');
      await m.run(dir, payloads);
      removeTempDir(dir);
    }
    for (let rep = 0; rep < REPS; rep++) {
      // Each repetition starts at another method: what a method leaves behind (dirty pages being
      // written back, a deleted file's blocks being freed) falls on a different next one each time.
      for (const m of methods.map((_, i) => methods[(i + rep) % methods.length]!)) {
        const dir = makeTempDir('journal');
        const s = await m.run(dir, payloads);
        samples.add(m.name, s);
        log(`  ${bytesLabel(c.size)} × ${c.count} ${m.name.padEnd(52)} ${sig(s * 1000, 4)} ms`);
        if (c.size === 4096 && rep === REPS - 1 && (m.name === 'stemedb appendBatch(1000)' || m.name === SQLITE)) keep.set(m.name, dir);
        else removeTempDir(dir);
      }
    }
    if (keep.size > 0 && only !== 'write') {
      iterateTable = await readSide(keep.get('stemedb appendBatch(1000)')!, join(keep.get(SQLITE)!, 'db.sqlite'), c, REPS);
    }
    for (const d of keep.values()) removeTempDir(d);
    // Per-rep rates, so ratios can be paired within a repetition.
    const rateOf = new Samples();
    for (const m of methods) for (const sec of samples.all(m.name)) rateOf.add(m.name, c.count / sec);
    const rawKey = 'raw writeSync per 1000 + fdatasync';
    if (rateOf.all(RAW_HASHED).length > 0) batchFloor.set(c.size, rateOf.pairedRatio('stemedb appendBatch(1000)', RAW_HASHED));
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
        sig(rateOf.pairedRatio(m.name, RAW_HASHED), 3),
      ]);
    }
  }

  const writeTable: Table = {
    title: 'Append N records, one sync at the end',
    columns: ['record', 'method', 'batch', 'records/s', 'runs min–max', 'MB/s (payload)', 'rate ÷ raw per-1000', 'rate ÷ raw hashed per-1000'],
    rows: writeRows,
    notes: [
      `N = ${cases.map((c) => `${c.count.toLocaleString('en-US')} × ${bytesLabel(c.size)}`).join(', ')}; time = first append .. final sync done (median of ${REPS}).`,
      "Raw baselines write stemedb's exact frame bytes (40-byte header + payload), hashed beforehand: hashing is not in their time.",
      'stemedb rotates segments at 64 MiB (the default): the finished segment is fsynced and the next created durably; the raw baselines write one file.',
      "better-sqlite3 stores the payloads as BLOBs (no checksums of its own beyond SQLite's); its time includes the final checkpoint.",
      'append() and appendBatch() copy each payload once, at the call, straight into its frame (src/journal/write/frame-arena.ts); the frames go to the disk from there.',
      `"rate ÷ raw hashed per-1000" divides by "${RAW_HASHED}": the same frames sealed in its timed loop (the floor for appendBatch(), which must hash).`,
      '"rate ÷ raw per-1000" is paired: each run ÷ the raw run of the same repetition, median over repetitions.',
    ],
  };
  res.tables.push(writeTable);
  for (const c of cases) {
    addGroup(res, writeTable, {
      title: `appendBatch(1000) of ${bytesLabel(c.size)} records, one sync at the end`,
      unit: 'records/s',
      name: 'method',
      value: 'records/s',
      toFloor: 'rate ÷ raw hashed per-1000',
      ours: { record: bytesLabel(c.size), method: 'stemedb appendBatch(1000)' },
      peers: [{ record: bytesLabel(c.size), method: SQLITE }],
      floor: { record: bytesLabel(c.size), method: RAW_HASHED },
    });
  }
  if (iterateTable) {
    const readTable: Table = {
      title: 'Read back 4-KiB records (warm page cache)',
      columns: ['method', 'GB/s (payload)', 'runs min–max', 'records/s', 'rate ÷ raw read', 'rate ÷ raw read + verify'],
      rows: iterateTable.rows,
      notes: ['Warm cache: the records were just written and the page cache cannot be dropped here (no root guarantee).'],
    };
    res.tables.push(readTable);
    for (const ours of ['stemedb iterateBatches() (verifies CRC32C + BLAKE3)', 'stemedb iterate() (verifies CRC32C + BLAKE3)']) {
      addGroup(res, readTable, {
        title: `${ours.split(' ')[1]} of 4-KiB records, every frame verified`,
        unit: 'GB/s of payload',
        name: 'method',
        value: 'GB/s (payload)',
        toFloor: 'rate ÷ raw read + verify',
        ours: { method: ours },
        peers: [{ method: 'better-sqlite3 SELECT v (no verification)' }],
        floor: { method: 'raw read + verifyFrames() per block' },
      });
    }
  }

  const batchRate = rates.get('128:stemedb appendBatch(1000)');
  if (batchRate !== undefined) {
    target(res, 'appendBatch(1000) of 128-B records', '>= 2 M records/s', batchRate, '>=', 2e6, `${sig(batchRate / 1e6, 3)} M records/s`);
    const r = batchFloor.get(128)!;
    target(res, 'appendBatch(1000) of 128 B ÷ raw hashed per-1000 (paired)', '>= 0.6', r, '>=', 0.6, String(sig(r, 3)));
  }
  if (iterateTable) {
    const g = iterateTable.gbps;
    target(res, 'iterate() of 4-KiB records, full verification', '>= 1.5 GB/s', g, '>=', 1.5, `${sig(g, 3)} GB/s (payload bytes; warm cache)`);
    const { iterateRatio: ri, batchesRatio: rb } = iterateTable;
    target(res, 'iterateBatches() ÷ raw read + verifyFrames() (paired)', '>= 0.85', rb, '>=', 0.85, String(sig(rb, 3)));
    target(res, 'iterate() ÷ raw read + verifyFrames() (paired)', '>= 0.7', ri, '>=', 0.7, String(sig(ri, 3)));
  }
  return finishResult(res);
}

if (isMain(import.meta.url)) await main(run);
