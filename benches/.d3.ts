import { Journal } from '../src/index.js';
import { runFor, makeTempDir, removeTempDir } from './lib/index.js';
const p = Buffer.alloc(128, 7);
for (const mode of ['each', 'group'] as const) for (const c of [1, 2, 4, 16, 64]) {
  const dir = makeTempDir('d3');
  const j = await Journal.open(dir, { durability: mode });
  const r = await runFor(1000, c, async () => { await j.append(p); return 1; });
  const st = j.stats();
  console.log(mode, c, Math.round(r.perSecond), 'rec/s', 'syncs', st.syncs, 'lat', JSON.stringify(st.syncLatencyMicros), JSON.stringify(st.recordsPerSync));
  await j.close(); removeTempDir(dir);
}
