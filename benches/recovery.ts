/**
 * Recovery bench: a 1 GiB journal (16 segments of 64 MiB, 4-KiB records;
 * --quick: 64 MiB in 4 segments of 16 MiB) built with appendBatch in 'none'
 * mode, then a torn tail: garbage bytes appended straight to the last segment
 * file, as a crash in the middle of a write would leave.
 *
 *   Journal.open(dir)      scans only the tail segment, cuts the torn tail (keeping a
 *                          .broken copy) and makes that durable. Target <= 1 s.
 *   recover(dir, { verifyAll: true, dryRun: true })
 *                          verifies every record of every segment (CRC32C + BLAKE3),
 *                          changes nothing. Target >= 1.5 GB/s.
 * Peers, same files, same run:
 *   raw read of every segment in 4 MiB blocks (no verification): the I/O floor
 *   raw read + verifyFrames() per block: the verification primitive without recovery's logic
 *   raw read of the tail segment alone, and with verifyFrames(): the floors for open
 *
 * Garbage rows: a small journal whose tail segment continues with 4 / 16 / 64 MiB of
 * random bytes (--quick: 4 / 16) and no watermark file, so recovery must search the
 * whole garbage for a frame that verifies before calling it a torn tail:
 *   recover(dir, { dryRun: true })   target for 64 MiB <= 1 s (the search is linear)
 * `--garbage-only` runs these rows alone.
 *
 * All figures are warm-cache: the journal was just written and dropping the page
 * cache needs root, which is not guaranteed here. Each measurement runs 3 times
 * (the torn tail is re-created before every open and recover); medians shown.
 *
 * Run: `npx tsx benches/recovery.ts [--quick] [--garbage-only]`
 */
import { appendFileSync, closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SEGMENT_HEADER, parseSegmentName } from '../src/format/segment.js';
import { FRAME_HEADER } from '../src/format/frame.js';
import { randomFillSync } from 'node:crypto';
import { Journal, recover, verifyFrames } from '../src/index.js';
import type { RecoveryReport } from '../src/index.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  type Table,
  Samples,
  addGroup,
  bytesLabel,
  finishResult,
  isMain,
  log,
  main,
  makeTempDir,
  removeTempDir,
  sig,
  startResult,
  target,
  timeIt,
} from './lib/index.js';

const REPS = 3;
const RECORD = 4096;
const FRAME = FRAME_HEADER + RECORD;
const BATCH = 1000;
const GARBAGE = 3000; // bytes of torn tail: a partial frame's worth of junk
const TAIL_FLOOR = 'raw read + verifyFrames() of the tail segment';
const ALL_FLOOR = 'raw read + verifyFrames() per 4 MiB block';

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => join(dir, n));
}

/** Appends garbage to the last segment file, as a torn write would leave it. */
function tearTail(dir: string): void {
  const files = segmentFiles(dir);
  const junk = randomFillSync(Buffer.allocUnsafe(GARBAGE));
  junk.writeUInt32LE(RECORD, 0); // a plausible length field, so the frame looks real until its CRC
  appendFileSync(files[files.length - 1]!, junk);
}

/** Raw sequential read of files in 4 MiB blocks; with verify, verifyFrames() on each block (carrying partial frames). */
let block: Uint8Array | null = null; // allocated once: a fresh 4 MiB block per call costs its page faults, a millisecond
function rawRead(files: string[], verify: boolean): { bytes: number; records: number } {
  block ??= new Uint8Array(4 << 20);
  let bytes = 0;
  let records = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    // v3 frames are bound to their global offset: the segment's base + the position past its header.
    const base = parseSegmentName(basename(f))!;
    try {
      let pos = SEGMENT_HEADER;
      for (;;) {
        const n = readSync(fd, block, 0, block.length, pos);
        if (n === 0) break;
        if (!verify) {
          bytes += n;
          pos += n;
          continue;
        }
        const walk = verifyFrames(block, { end: n, offset: base + pos - SEGMENT_HEADER });
        records += walk.count;
        bytes += walk.end;
        pos += walk.end;
        if (walk.end === 0) break; // the torn tail (or the end)
      }
    } finally {
      closeSync(fd);
    }
  }
  return { bytes, records };
}

/** Times recover({ dryRun }) over `mib` MiB of random garbage after a few records, no watermark (a search of all of it). */
async function garbageRows(res: BenchResult, opts: RunOptions): Promise<void> {
  const sizes = opts.quick ? [4, 16] : [4, 16, 64];
  const rows: Cell[][] = [];
  let last = { mib: 0, s: Number.NaN };
  for (const mib of sizes) {
    const dir = makeTempDir('recovery-garbage');
    try {
      const j = await Journal.open(dir, { durability: 'none', syncIntervalMs: 0 });
      for (let i = 0; i < 8; i++) await j.append(randomFillSync(Buffer.allocUnsafe(RECORD)));
      await j.close();
      rmSync(join(dir, 'durable'));
      appendFileSync(segmentFiles(dir)[0]!, randomFillSync(Buffer.allocUnsafe(mib << 20)));
      const times: number[] = [];
      const paired = new Samples();
      let report: RecoveryReport | null = null;
      for (let rep = 0; rep < REPS; rep++) {
        const t = await timeIt(async () => {
          report = await recover(dir, { dryRun: true });
        });
        times.push(t);
        paired.add('recover', t);
        // The floor: reading the same file (records + garbage) once, right after.
        paired.add('raw', await timeIt(() => rawRead(segmentFiles(dir), false)));
      }
      const r = report as RecoveryReport | null;
      if (!r || r.recordsValid !== 8 || r.truncatedAt !== 8 * FRAME) throw new Error(`garbage ${mib} MiB: unexpected report ${JSON.stringify(r)}`);
      const s = times.sort((a, b) => a - b)[1]!;
      log(`  garbage ${mib} MiB: ${sig(s * 1000, 4)} ms`);
      rows.push([`${mib} MiB of random garbage`, sig(s * 1000, 3), sig(mib / s, 3), sig(paired.pairedRatio('raw', 'recover'), 3)]);
      last = { mib, s };
    } finally {
      removeTempDir(dir);
    }
  }
  res.tables.push({
    title: 'Torn tail of random garbage without a watermark: recover({ dryRun: true }) searches all of it for a valid frame',
    columns: ['tail', 'ms (median of 3)', 'MiB/s', 'speed ÷ raw read'],
    rows,
    notes: [
      '8 records of 4 KiB, then the garbage appended to the same segment file; the durable watermark file removed.',
      '"speed ÷ raw read": paired, a raw read of the same file right after each run. Only a floor in bytes touched: the search tries a frame at every byte offset.',
    ],
  });
  target(res, `recover({ dryRun }) over ${last.mib} MiB of garbage`, '<= 1 s (linear search)', last.s, '<=', 1, `${sig(last.s * 1000, 3)} ms (warm cache)`);
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('recovery', opts);
  if (process.argv.includes('--garbage-only')) {
    await garbageRows(res, opts);
    return finishResult(res);
  }
  const segments = opts.quick ? 4 : 16;
  const segmentBytes = (opts.quick ? 16 : 64) * 2 ** 20;
  // Fill every segment but leave the last a few records short of full, so there are
  // exactly `segments` files and the tail segment (the one open scans) is nearly full.
  const perSegment = Math.floor((segmentBytes - SEGMENT_HEADER) / FRAME);
  const records = perSegment * segments - 8;
  const dir = makeTempDir('recovery');
  try {
    log(`recovery: building ${records} × 4 KiB in ${dir}`);
    const pool = randomFillSync(Buffer.allocUnsafe(RECORD * BATCH * 2));
    const buildS = await timeIt(async () => {
      const j = await Journal.open(dir, { segmentBytes, durability: 'none', syncIntervalMs: 0 });
      for (let i = 0; i < records; i += BATCH) {
        const n = Math.min(BATCH, records - i);
        const off = (i / BATCH) % 2 === 0 ? 0 : RECORD * BATCH; // vary content between batches
        const batch = Array.from({ length: n }, (_, k) => pool.subarray(off + k * RECORD, off + (k + 1) * RECORD));
        await j.appendBatch(batch);
      }
      await j.close();
    });
    const files = segmentFiles(dir);
    const totalBytes = files.reduce((s, f) => s + statSync(f).size, 0);
    const tailBytes = statSync(files[files.length - 1]!).size;
    res.notes.push(
      `journal: ${records.toLocaleString('en-US')} records of 4 KiB in ${files.length} segments of ${bytesLabel(segmentBytes)} (${sig(totalBytes / 2 ** 30, 3)} GiB on disk), built in ${sig(buildS, 3)} s with appendBatch(${BATCH}) in 'none' mode.`,
    );
    res.notes.push('All figures are warm-cache (the journal was just written; dropping the page cache needs root).');
    res.notes.push(`torn tail: ${GARBAGE} garbage bytes appended to the last segment before every open/recover run.`);

    const s = new Samples();
    let openReport: RecoveryReport | null = null;
    let recReport: RecoveryReport | null = null;
    for (let rep = 0; rep < REPS; rep++) {
      tearTail(dir);
      let j: Journal | null = null;
      const openS = await timeIt(async () => {
        j = await Journal.open(dir, { segmentBytes, durability: 'none', syncIntervalMs: 0 });
      });
      openReport = j!.recovery;
      await j!.close();
      s.add('open', openS);

      tearTail(dir);
      const recS = await timeIt(async () => {
        recReport = await recover(dir, { verifyAll: true, dryRun: true });
      });
      s.add('recover', recS);
      // recover() with dryRun left the garbage in place: the next open cuts it.
      const j2 = await Journal.open(dir, { segmentBytes, durability: 'none', syncIntervalMs: 0 });
      await j2.close();

      const tail = [files[files.length - 1]!];
      s.add('raw tail', await timeIt(() => rawRead(tail, false)));
      s.add('raw tail verify', await timeIt(() => rawRead(tail, true)));
      s.add('raw all', await timeIt(() => rawRead(files, false)));
      let v = { bytes: 0, records: 0 };
      s.add(
        'raw verify',
        await timeIt(() => {
          v = rawRead(files, true);
        }),
      );
      if (v.records !== records) throw new Error(`raw verify saw ${v.records} records, expected ${records}`);
      log(`  rep ${rep + 1}: open ${sig(openS * 1000, 4)} ms, recover ${sig(recS * 1000, 4)} ms`);
    }
    const rr = recReport as RecoveryReport | null;
    const or = openReport as RecoveryReport | null;
    if (!rr || !or) throw new Error('no recovery report');
    if (rr.recordsValid !== records) throw new Error(`recover verified ${rr.recordsValid} records, expected ${records}`);
    if (or.segmentsScanned !== 1 || or.truncatedAt === null) throw new Error(`open: scanned ${or.segmentsScanned} segments, truncatedAt ${or.truncatedAt}`);

    const open = s.median('open');
    const recS = s.median('recover');
    const rawAll = s.median('raw all');
    // One row per measurement; its floors are the raw reads of the same files (the tail segment
    // for open, all segments otherwise), without and with verifyFrames(). Ratios are paired.
    const row = (name: string, key: string, segs: number, bytes: number, tailOnly: boolean): Cell[] => {
      const t = s.median(key);
      return [
        name,
        sig(t * 1000, 3),
        segs,
        sig(bytes / 2 ** 20, 3),
        sig(bytes / t / 1e9, 3),
        sig(s.pairedRatio(tailOnly ? 'raw tail' : 'raw all', key), 3),
        sig(s.pairedRatio(tailOnly ? 'raw tail verify' : 'raw verify', key), 3),
      ];
    };
    const rows: Cell[][] = [
      row('Journal.open (tail scan + torn-tail cut)', 'open', or.segmentsScanned, or.bytesScanned, true),
      row('raw read of the tail segment', 'raw tail', 1, tailBytes, true),
      row(TAIL_FLOOR, 'raw tail verify', 1, tailBytes, true),
      row('recover({ verifyAll, dryRun })', 'recover', rr.segmentsScanned, rr.bytesScanned, false),
      row(ALL_FLOOR, 'raw verify', files.length, totalBytes, false),
      row('raw read, all segments (no verification)', 'raw all', files.length, totalBytes, false),
    ];
    const table: Table = {
      title: `Recovery of ${bytesLabel(segmentBytes * segments)} (${segments} × ${bytesLabel(segmentBytes)}, 4-KiB records), warm cache`,
      columns: ['operation', 'ms', 'segments', 'MiB scanned', 'GB/s', 'speed ÷ raw read', 'speed ÷ raw read + verify'],
      rows,
      notes: [
        `open: report says ${or.segmentsScanned} segment scanned, ${or.recordsValid} records verified, ${or.bytesTruncated} bytes cut at offset ${or.truncatedAt}.`,
        `recover: ${rr.recordsValid.toLocaleString('en-US')} records verified in ${rr.segmentsScanned} segments; GB/s = bytesScanned ÷ time.`,
        '"speed ÷ raw read" and "speed ÷ raw read + verify" compare with raw reads of the same files (the tail segment for open, all segments otherwise), without and with verifyFrames() per block: the floor is the raw read + verify (both open and recover verify every frame they scan). Paired: the raw run of the same repetition ÷ this run, median.',
      ],
    };
    res.tables.push(table);
    const noPeer = 'none: no npm write-ahead log exposes a recovery scan of the same files';
    addGroup(res, table, {
      title: `Journal.open with a torn tail (scans the ${bytesLabel(segmentBytes)} tail segment)`,
      unit: 'GB/s scanned',
      name: 'operation',
      value: 'GB/s',
      toFloor: 'speed ÷ raw read + verify',
      ours: { operation: 'Journal.open (tail scan + torn-tail cut)' },
      peers: [],
      floor: { operation: TAIL_FLOOR },
      noPeer,
    });
    addGroup(res, table, {
      title: `recover({ verifyAll, dryRun }) of ${bytesLabel(segmentBytes * segments)}`,
      unit: 'GB/s scanned',
      name: 'operation',
      value: 'GB/s',
      toFloor: 'speed ÷ raw read + verify',
      ours: { operation: 'recover({ verifyAll, dryRun })' },
      peers: [],
      floor: { operation: ALL_FLOOR },
      noPeer,
    });
    target(
      res,
      'Journal.open with a torn tail',
      '<= 1 s (scans only the tail segment)',
      open,
      '<=',
      1,
      `${sig(open * 1000, 3)} ms, ${or.segmentsScanned} segment scanned (warm cache)`,
    );
    const g = rr.bytesScanned / recS / 1e9;
    target(
      res,
      'recover({ verifyAll: true, dryRun: true })',
      '>= 1.5 GB/s',
      g,
      '>=',
      1.5,
      `${sig(g, 3)} GB/s over ${sig(rr.bytesScanned / 2 ** 30, 3)} GiB (warm cache)`,
    );
  } finally {
    removeTempDir(dir);
  }
  await garbageRows(res, opts);
  return finishResult(res);
}

if (isMain(import.meta.url)) await main(run);
