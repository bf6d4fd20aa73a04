// An ingest process: tails a journal from another process (Journal.openReader) into a Store.
// argv: journalDir dbPath mode batchSize [maxLatencyMs]
//   mode 'catchup': catchUp() to the journal's durable end, then prints "done <stats json>" and exits.
//   mode 'follow':  start(); runs until SIGTERM (or a "stop" line on stdin: Windows kills a
//                   child on SIGTERM without running handlers), then stop() and prints
//                   "stopped <stats json>".
// Both print "ready <cursor>" once the store and the reader are open, and "batch <cursor> <records>"
// after every committed transaction (stdout is a pipe: synchronous on Linux, so a line printed is a
// commit that happened, even if the process is SIGKILLed right after).
import { createInterface } from 'node:readline';
import { Journal } from '../../src/index.js';
import { Ingestor, Store } from '../../src/ingest/index.js';

const [dir, dbPath, mode, batchSize, maxLatencyMs] = process.argv.slice(2);
if (!dir || !dbPath || (mode !== 'catchup' && mode !== 'follow')) {
  console.error('usage: child-ingest.ts <journalDir> <db> catchup|follow <batchSize> [maxLatencyMs]');
  process.exit(2);
}
const reader = await Journal.openReader(dir, { pollMs: 10 });
const store = Store.open(dbPath);
const ingestor = new Ingestor(reader, store, {
  batchSize: Number(batchSize ?? 4096),
  maxLatencyMs: Number(maxLatencyMs ?? 5),
  onBatch: (b) => process.stdout.write(`batch ${b.cursor} ${b.records}\n`),
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
store.close();
reader.close();
