// A writer process: appends deterministic payloads with N concurrent appenders and prints
// "ack <i> <offset> <len>" after each promise resolves. argv: dir durability concurrency segmentBytes [count] [startIndex]
import { Journal } from '../../src/index.js';
import { payloadFor } from './tmp.js';

const [dir, durability, concurrency, segmentBytes, count, start] = process.argv.slice(2);
const j = await Journal.open(dir!, { durability: durability as 'group', segmentBytes: Number(segmentBytes) });
console.log(`open ${j.nextOffset}`);
let i = Number(start ?? 0);
const end = count ? i + Number(count) : Number.MAX_SAFE_INTEGER;
const out: string[] = [];
let flushScheduled = false;
const flush = () => {
  flushScheduled = false;
  if (out.length) process.stdout.write(out.splice(0).join(''));
};
async function appender(): Promise<void> {
  while (i < end) {
    const k = i++;
    const len = (k * 7919) % 3000;
    const r = await j.append(payloadFor(k, len));
    out.push(`ack ${k} ${r.offset} ${len}\n`);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, appender));
flush();
await j.close();
console.log('done');
