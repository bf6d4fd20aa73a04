import { randomFillSync } from 'node:crypto';
import { verifyFrames } from '../src/index.js';
import { buildFrames, median } from './lib/index.js';
const N = 4096; const pays = Array.from({ length: N }, () => randomFillSync(Buffer.allocUnsafe(4096)));
const f = buildFrames(pays); // ~16.7 MB
const BL = 4 << 20;
const reuse = new Uint8Array(BL);
function run(fresh: boolean, verify: boolean) {
  let pos = 0; let recs = 0;
  while (pos < f.buf.length) {
    const n = Math.min(BL, f.buf.length - pos);
    const b = fresh ? new Uint8Array(n) : reuse;
    b.set(f.buf.subarray(pos, pos + n));
    if (!verify) { pos += n; continue; }
    const w = verifyFrames(b, { end: n }); recs += w.count; pos += w.end;
  }
  return recs;
}
for (const [fresh, verify] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  const ts: number[] = [];
  for (let i = 0; i < 7; i++) { const t = performance.now(); run(fresh, verify); ts.push(performance.now() - t); }
  console.log(`fresh=${fresh} verify=${verify}: ${(f.buf.length / median(ts) / 1e6).toFixed(2)} GB/s`);
}
