import { randomFillSync } from 'node:crypto';
import { measure, do_not_optimize } from 'mitata';
import { verifyFrames, blake3, crc32c } from '../src/index.js';
import { buildFrames } from './lib/index.js';
const TOTAL = 16 << 20;
for (const size of [128, 1024, 2048, 4096, 16384, 65536]) {
  const n = TOTAL / size;
  const pays = Array.from({ length: n }, () => randomFillSync(Buffer.allocUnsafe(size)));
  const f = buildFrames(pays);
  const sv = await measure(() => do_not_optimize(verifyFrames(f.buf)), { min_cpu_time: 300e6 });
  const one = pays[0]!;
  const sb = await measure(() => do_not_optimize(blake3(one)), { min_cpu_time: 200e6 });
  const sc = await measure(() => do_not_optimize(crc32c(one)), { min_cpu_time: 200e6 });
  console.log(`${String(size).padStart(6)} B records: verifyFrames ${(f.buf.length / sv.p50).toFixed(2)} GB/s; single blake3 ${(size / sb.p50).toFixed(2)} GB/s (${sb.p50.toFixed(0)} ns); crc32c ${(size / sc.p50).toFixed(2)} GB/s`);
}
