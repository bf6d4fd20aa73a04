// An ingest process: tails a journal from another process (Journal.openReader) into a Store, or
// into PostgreSQL when dbPath is a postgres:// URL (consumer name: env INGEST_CONSUMER).
// argv: journalDir dbPath mode batchSize [maxLatencyMs]
//   mode 'catchup': catchUp() to the journal's durable end, then prints "done <stats json>" and exits.
//   mode 'follow':  start(); runs until SIGTERM (or a "stop" line on stdin: Windows kills a
//                   child on SIGTERM without running handlers), then stop() and prints
//                   "stopped <stats json>".
// Both print "ready <cursor>" once the store and the reader are open, and "batch <cursor> <records>"
// after every committed transaction (stdout is a pipe: synchronous on Linux, so a line printed is a
// commit that happened, even if the process is SIGKILLed right after).
// Env: INGEST_READ_THREAD=1 sets the Ingestor's readThread; INGEST_HOLD_MS=n blocks this thread for
// n ms after the first commit (a worker thread, if any, goes on: it fills what it may send ahead).
import { createInterface } from 'node:readline';
import { Journal } from '../../src/index.js';
import { Ingestor, PgStore, Store } from '../../src/ingest/index.js';

const [dir, dbPath, mode, batchSize, maxLatencyMs] = process.argv.slice(2);
if (!dir || !dbPath || (mode !== 'catchup' && mode !== 'follow')) {
  console.error('usage: child-ingest.ts <journalDir> <db> catchup|follow <batchSize> [maxLatencyMs]');
  process.exit(2);
}
let holdMs = Number(process.env.INGEST_HOLD_MS ?? 0);
const reader = await Journal.openReader(dir, { pollMs: 10 });
const store = /^postgres(ql)?:/.test(dbPath) ? await PgStore.open(dbPath) : Store.open(dbPath);
const ingestor = new Ingestor(reader, store, {
  consumer: process.env.INGEST_CONSUMER ?? 'default',
  batchSize: Number(batchSize ?? 4096),
  maxLatencyMs: Number(maxLatencyMs ?? 5),
  readThread: process.env.INGEST_READ_THREAD === '1',
  onBatch: (b) => {
    process.stdout.write(`batch ${b.cursor} ${b.records}\n`);
    if (holdMs > 0) {
      process.stdout.write('holding\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
      holdMs = 0;
    }
  },
  onError: (err, fatal) => console.error(`ingest error (fatal ${fatal}):`, err),
});
process.stdout.write(`ready ${ingestor.cursor}\n`);

let stats;
if (mode === 'catchup') {
  stats = await ingestor.catchUp();
  process.stdout.write(`done ${JSON.stringify(stats)}\n`);
} else {
  ingestor.start();
  const stdinLines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    stdinLines.on('line', (line) => line === 'stop' && resolve());
  });
  stdinLines.close();
  process.stdin.destroy();
  stats = await ingestor.stop();
  process.stdout.write(`stopped ${JSON.stringify(stats)}\n`);
}
await store.close();
reader.close();
