/**
 * The read thread's entry (started by thread-source.ts): opens its own reader of the journal
 * directory, reads and verifies the records of [from, to) as Journal.openReader's iterateBatches
 * would, scans their payloads, and posts them packed (scanned.ts), one transferable buffer per
 * run of records. It stays at most `ahead` buffers in front of what the owning thread has taken.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JournalReader } from '../../journal/read/journal-reader.js';
import { RecordPacker } from './scanned.js';
import type { ReadThreadData, ToReadThread } from './messages.js';

const port = parentPort!;
const data = workerData as ReadThreadData;
let credits = data.ahead;
let stopped = false;
let wake: (() => void) | null = null;

port.on('message', (m: ToReadThread) => {
  if (m.type === 'more') credits++;
  else stopped = true;
  wake?.();
});

/** Waits until the owning thread has room for another buffer (or stops us); false once stopped. */
async function room(): Promise<boolean> {
  while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  return !stopped;
}

/** Where the records not yet sent start: what the owning thread checks each buffer against. */
let start = data.from;

async function send(packer: RecordPacker): Promise<boolean> {
  if (!(await room())) return false;
  credits--;
  const { buffer, count, end } = packer.take();
  port.postMessage({ type: 'records', buffer, count, start }, [buffer]);
  start = end;
  return true;
}

async function run(): Promise<void> {
  const reader = await JournalReader.open(data.dir);
  const packer = new RecordPacker(data.maxRecords, data.maxBytes);
  try {
    for await (const block of reader.iterateBatches({ from: data.from, ...(data.to === undefined ? {} : { to: data.to }) })) {
      for (const rec of block) {
        if (packer.add(rec)) continue;
        if (!(await send(packer))) return;
        packer.add(rec);
      }
    }
    if (packer.count > 0 && !(await send(packer))) return;
    port.postMessage({ type: 'end' });
  } catch (err) {
    // The owning thread reads on from the first record it did not get: it meets the same
    // failure and throws it with its own type, or, if it was this thread's alone, goes on.
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    reader.close();
  }
}

run().then(
  () => port.close(),
  (err: unknown) => {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    port.close();
  },
);
