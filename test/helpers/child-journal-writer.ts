// A writer process for the many-journals test: appends journalPayloads(k, count) to its own
// journal in small batches (group commit), then prints "done <nextOffset>".
// argv: dir k count
import { Journal } from '../../src/index.js';
import { journalPayloads } from './many-journals.js';

const [dir, k, count] = process.argv.slice(2);
const j = await Journal.open(dir!, { segmentBytes: 64 * 1024 });
const payloads = journalPayloads(Number(k), Number(count));
for (let i = 0; i < payloads.length; i += 25) {
  await j.appendBatch(payloads.slice(i, i + 25));
  if (i % 100 === 0) await new Promise((r) => setTimeout(r, 20)); // spread the appends over the ingestors' lives
}
await j.close();
console.log(`done ${j.nextOffset}`);
