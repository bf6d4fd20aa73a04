// Follows a journal from another process; prints "rec <offset> <next> <len> <watermark>" per record
// and "ready" once following. argv: dir expectedCount
import { Journal } from '../../src/index.js';

const [dir, expected] = process.argv.slice(2);
const reader = await Journal.openReader(dir!, { pollMs: 20 });
let n = 0;
console.log('ready');
for await (const r of reader.follow({ from: 0 })) {
  // The watermark is read after the record: a record is only visible below it.
  process.stdout.write(`rec ${r.offset} ${r.next} ${r.payload.length} ${reader.durableOffset}\n`);
  if (++n >= Number(expected)) break;
}
await reader.close();
console.log('done');
