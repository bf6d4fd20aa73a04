// Under a low `ulimit -n`: opens the journal in argv[2] as writer, reads, iterates every
// record, appends across rotations, then does the same with a reader; prints one JSON line.
import { readdirSync } from 'node:fs';
import { Journal } from '../../src/index.js';

const dir = process.argv[2]!;
const openFds = () => readdirSync('/proc/self/fd').length;
const j = await Journal.open(dir, { segmentBytes: 1024, durability: 'none', syncIntervalMs: 0 });
const first = await j.read(0);
const mid = await j.read(j.segmentBases()[Math.floor(j.segmentBases().length / 2)]!);
let records = 0;
for await (const r of j.iterate()) records += r.payload.length > 0 ? 1 : 0;
const before = j.stats().segments;
for (let i = 0; i < 300; i++) await j.append(new Uint8Array(600).fill(i & 0xff));
const segments = j.stats().segments;
const end = j.nextOffset;
const fdsWriter = openFds();
await j.close();
const reader = await Journal.openReader(dir);
let readerRecords = 0;
for await (const r of reader.iterate()) readerRecords += r.payload.length > 0 ? 1 : 0;
const last = await reader.read(end - 640);
const fdsReader = openFds();
reader.close();
console.log(
  JSON.stringify({
    first: first?.payload.length,
    mid: mid?.payload.length,
    records,
    before,
    segments,
    readerRecords,
    last: last?.payload.length,
    fdsWriter,
    fdsReader,
  }),
);
