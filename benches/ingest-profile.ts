/**
 * One Ingestor.catchUp() of N assertions (STEMEDB_INGEST_N, default 1 000 000) into a fresh store,
 * alone in its process, for profilers: `perf record -g node --perf-basic-prof --import tsx
 * benches/ingest-profile.ts`, or `node --cpu-prof --import tsx benches/ingest-profile.ts`. The
 * journal is built once under the OS temp dir and kept for the next run; STEMEDB_INGEST_BATCH sets
 * the batch size. Prints the rate and the process's CPU time (the bench proper is benches/ingest.ts).
 */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../src/index.js';
import { DEFAULT_BATCH_SIZE, Ingestor, Store } from '../src/ingest/index.js';
import { buildJournal } from './ingest.js';
import { benchBatch, benchSize } from './ingest-common.js';

const n = benchSize(false);
const batchSize = benchBatch(DEFAULT_BATCH_SIZE);
const walDir = join(tmpdir(), `stemedb-ingest-profile-${n}`);
if (!existsSync(walDir)) await buildJournal(walDir, n);
const dbPath = `${walDir}.db`;
for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
const reader = await Journal.openReader(walDir);
const store = Store.open(dbPath);
const c0 = process.cpuUsage();
const t0 = performance.now();
const stats = await new Ingestor(reader, store, { batchSize }).catchUp();
store.db.pragma('wal_checkpoint(TRUNCATE)');
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
console.log(
  `batchSize ${batchSize}: ${stats.assertions} assertions in ${ms.toFixed(0)} ms, ${(stats.assertions / ms).toFixed(1)} k/s; ` +
    `user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s`,
);
reader.close();
await store.close();
