// An ingest process into PostgreSQL that stops itself in the pipeline's gap: once batch `holdAt`
// has committed and batch holdAt + 1 is prepared (decoded, encoded) but not sent, it prints
// "held <cursor>" and waits forever, for the test to SIGKILL it there.
// argv: journalDir url batchSize holdAt
import { Journal } from '../../src/index.js';
import { Ingestor, PgStore } from '../../src/ingest/index.js';
import { PreparedProbe } from './prepared-probe.js';

const [dir, url, batchSize, holdAt] = process.argv.slice(2);
if (!dir || !url || !batchSize || !holdAt) {
  console.error('usage: child-pg-prepared.ts <journalDir> <url> <batchSize> <holdAt>');
  process.exit(2);
}
const reader = await Journal.openReader(dir);
const store = await PgStore.open(url);
const probe: PreparedProbe = new PreparedProbe(store, async (n) => {
  if (n !== Number(holdAt)) return;
  await probe.preparedAtLeast(n + 1);
  process.stdout.write(`held ${await store.cursor('default')} ${probe.prepared} ${probe.applied}\n`);
  await new Promise(() => setInterval(() => undefined, 1000)); // never answers: batch n + 1 is never sent
});
await new Ingestor(reader, probe, { batchSize: Number(batchSize) }).catchUp();
console.error('child-pg-prepared: finished without holding');
process.exit(3);
