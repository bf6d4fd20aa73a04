/**
 * The read side of the journal bench: 4-KiB records read back (warm page cache) by
 * stemedb's iterate() and iterateBatches(), by raw reads of the segment files (the
 * floor: without and with verifyFrames() per block), and by better-sqlite3.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal, verifyFrames } from '../src/index.js';
import { SEGMENT_HEADER, parseSegmentName } from '../src/format/segment.js';
import { type Cell, Samples, log, sig, spread, timeIt } from './lib/index.js';

export interface ReadSide {
  rows: Cell[][];
  /** iterate()'s payload GB/s. */
  gbps: number;
  /** iterate() and iterateBatches() rates ÷ raw read + verifyFrames(), paired. */
  iterateRatio: number;
  batchesRatio: number;
}

interface Case {
  size: number;
  count: number;
}

/**
 * Reads every segment file of a journal dir in 1 MiB blocks; verify=true runs verifyFrames on each block.
 * fresh=true reads each block into a buffer of its own, as a reader must whose records stay views of
 * their block (stemedb's: blocks are never reused); otherwise one buffer, reused (and so always in cache).
 */
function rawReadJournal(dir: string, verify: boolean, fresh = false): { bytes: number; records: number } {
  let block = new Uint8Array(1 << 20);
  let bytes = 0;
  let records = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort()) {
    const base = parseSegmentName(name)!;
    const fd = openSync(join(dir, name), 'r');
    try {
      let pos = SEGMENT_HEADER;
      for (;;) {
        if (fresh) block = Buffer.allocUnsafeSlow(1 << 20);
        const n = readSync(fd, block, 0, block.length, pos);
        if (n === 0) break;
        bytes += n;
        if (!verify) {
          pos += n;
          continue;
        }
        // v3 frames: each CRC is bound to the record's global offset (segment base from the name + position).
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

export async function readSide(journalDir: string, sqlitePath: string, c: Case, REPS: number): Promise<ReadSide> {
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
      name: 'stemedb iterateBatches() (verifies CRC32C + BLAKE3)',
      run: async () => {
        const j = await Journal.open(journalDir, { durability: 'none', syncIntervalMs: 0 });
        let n = 0;
        let bytes = 0;
        const s = await timeIt(async () => {
          for await (const batch of j.iterateBatches()) {
            for (const r of batch) {
              n++;
              bytes += r.payload.length;
            }
          }
        });
        await j.close();
        if (n !== c.count || bytes !== payloadBytes) throw new Error(`iterateBatches saw ${n} records / ${bytes} bytes, expected ${c.count}`);
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
      // Not a floor: what the one above costs when each block is a fresh buffer (never reused),
      // the price of records that stay valid views of their block.
      name: 'raw read + verifyFrames(), a fresh block per read',
      run: async () => {
        let r = { records: 0, bytes: 0 };
        const s = await timeIt(() => {
          r = rawReadJournal(journalDir, true, true);
        });
        if (r.records !== c.count) throw new Error(`raw verify (fresh blocks) saw ${r.records} records, expected ${c.count}`);
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
  const verifyKey = 'raw read + verifyFrames() per block';
  const rows: Cell[][] = methods.map((m) => {
    const s = samples.median(m.name);
    // paired: raw read time ÷ this method's time, per repetition
    return [
      m.name,
      sig(payloadBytes / s / 1e9, 3),
      spread(samples.all(m.name).map((x) => payloadBytes / x / 1e9)),
      sig(c.count / s, 3),
      sig(samples.pairedRatio(rawKey, m.name), 3),
      sig(samples.pairedRatio(verifyKey, m.name), 3),
    ];
  });
  const ratio = (name: string) => samples.pairedRatio(verifyKey, name);
  return { rows, gbps: payloadBytes / samples.median(methods[0]!.name) / 1e9, iterateRatio: ratio(methods[0]!.name), batchesRatio: ratio(methods[1]!.name) };
}
