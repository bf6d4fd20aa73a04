/**
 * The Ingestor of the ingest bench in a process of its own (run from benches/ingest.ts): the bench
 * process holds the direct methods' decoded rows (1 M rows: hundreds of MB of small objects) on its
 * heap, and every GC of the in-process Ingestor marks them. A real ingest process holds no such
 * thing. The child opens the journal and the store, runs catchUp() plus the final TRUNCATE
 * checkpoint, and prints its wall and CPU seconds (process.cpuUsage: all its threads).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Journal } from '../src/index.js';
import { Ingestor, Store } from '../src/ingest/index.js';
import { isMain } from './lib/index.js';

export interface ChildTiming {
  seconds: number;
  cpuSeconds: number;
  assertions: number;
}

/** Runs the Ingestor (batches of `batchSize`) from `walDir` into `dbPath` in a child process; resolves with its timing. */
export function ingestInChild(walDir: string, dbPath: string, batchSize: number): Promise<ChildTiming> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), walDir, dbPath, String(batchSize)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildTiming) : reject(new Error(`ingest child exited with ${code}`))));
  });
}

async function child(walDir: string, dbPath: string, batchSize: number): Promise<void> {
  const store = Store.open(dbPath);
  const reader = await Journal.openReader(walDir);
  const ing = new Ingestor(reader, store, { batchSize });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { assertions } = await ing.catchUp();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  reader.close();
  await store.close();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (c.user + c.system) / 1e6, assertions }));
}

if (isMain(import.meta.url)) await child(process.argv[2]!, process.argv[3]!, Number(process.argv[4]));
