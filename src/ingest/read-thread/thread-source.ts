/**
 * catchUp()'s two-thread pipeline: a worker thread (worker.ts) reads, verifies and scans the next
 * records while this thread, which owns the store's connection, inserts the current batch. They
 * cross as one transferable buffer per run of records (scanned.ts), so this thread only makes the
 * bind values. Exactly-once does not change: records are still committed with the cursor, here,
 * one transaction at a time; a buffer in flight when the process dies was never committed.
 *
 * If the read thread cannot start or stops early, this thread reads on from the first record it
 * did not get, through the reader it was given: a read error is then thrown with its own type,
 * as without the thread, and a failure of the thread alone costs only speed (reported).
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { JournalReader } from '../../journal/read/journal-reader.js';
import { defaultIO } from '../../io/index.js';
import { argTypeError } from '../../validate.js';
import type { IngestSource, JournalRecord } from '../source.js';
import type { FromReadThread, ReadThreadData, ToReadThread } from './messages.js';
import { unpackRecords } from './scanned.js';

/** Buffers the read thread may have ready ahead of the one being inserted. */
const AHEAD = 2;
/** A run of records larger than the batch goes in several buffers: bounds the memory in flight. */
const MAX_BUFFER_BYTES = 32 * 1024 * 1024;
/** How long a stopped read thread gets to close its reader before it is terminated. */
const STOP_TIMEOUT_MS = 5000;

/**
 * The reader catchUp() hands to readOnThread, per IngestorOptions.readThread, or null: read in
 * this thread. The read thread opens its own reader of the same directory, so only a reader with
 * the default IO qualifies (a writer's journal publishes what is durable later than it knows it).
 */
export function readThreadSource(source: IngestSource, option: unknown): JournalReader | null {
  if (option !== undefined && typeof option !== 'boolean') throw argTypeError(`Ingestor: readThread must be a boolean, got ${typeof option}`);
  if (option !== true) return null;
  if (!(source instanceof JournalReader) || source.io !== defaultIO()) {
    throw argTypeError('Ingestor: readThread needs a reader from Journal.openReader without a custom io', 'ERR_INVALID_ARG_VALUE');
  }
  return source;
}

type Inbox = FromReadThread | { type: 'failed'; error: Error };

/**
 * The records of reader.iterateBatches(range), read on a worker thread (from the journal in
 * `dir`: reader.dir, unless a test points the thread elsewhere), `maxRecords` per array at most.
 */
export async function* readOnThread(
  reader: JournalReader,
  range: { from: number; to?: number },
  maxRecords: number,
  onThreadFailure: (err: Error) => void,
  dir = reader.dir,
): AsyncGenerator<readonly JournalRecord[]> {
  const inbox: Inbox[] = [];
  let wake: (() => void) | null = null;
  const deliver = (m: Inbox): void => {
    inbox.push(m);
    wake?.();
  };
  const data: ReadThreadData = { dir, from: range.from, to: range.to, maxRecords, maxBytes: MAX_BUFFER_BYTES, ahead: AHEAD };
  let worker: Worker;
  try {
    worker = startReadThread(data);
  } catch (err) {
    onThreadFailure(new Error(`read thread: could not start (${err instanceof Error ? err.message : String(err)}); reading in this thread`, { cause: err }));
    yield* reader.iterateBatches(range);
    return;
  }
  let running = true;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      running = false;
      deliver({ type: 'failed', error: new Error(`read thread: exited (code ${code}) before the end`) });
      resolve();
    }),
  );
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'failed', error }));
  const tell = (m: ToReadThread): void => {
    if (running) worker.postMessage(m);
  };
  let at = range.from; // the first record not yet received
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const m = inbox.shift()!;
      if (m.type === 'records') {
        tell({ type: 'more' });
        // Buffers follow each other (a record may start past `at` only across a gap the reader skips).
        const records = unpackRecords(m.buffer, m.count);
        if (m.start !== at || records.length === 0 || records[0]!.offset < at) throw new Error(`read thread: a buffer from ${m.start} where ${at} was due`);
        at = records[records.length - 1]!.next;
        yield records;
      } else if (m.type === 'end') {
        return;
      } else {
        const why = m.type === 'failed' ? m.error.message : m.message;
        onThreadFailure(
          new Error(`read thread stopped at offset ${at}: ${why}; reading on in this thread`, m.type === 'failed' ? { cause: m.error } : undefined),
        );
        yield* reader.iterateBatches({ from: at, ...(range.to === undefined ? {} : { to: range.to }) });
        return;
      }
    }
  } finally {
    if (running) {
      tell({ type: 'stop' });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (running) await worker.terminate();
    }
  }
}

/**
 * The worker, from wherever this module runs: the CommonJS bundle (dist/cjs/index.js, with
 * read-thread-worker.js beside it), tsc's ESM output (worker.js beside this file), or the
 * TypeScript sources under tsx (tests, benches), where the worker needs tsx's loader: Node 20
 * does not pass --import hooks on to workers.
 */
function startReadThread(data: ReadThreadData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = new URL('./dist/esm/api/index.mjs', pathToFileURL(createRequire(here).resolve('tsx/package.json'))).href;
    const entry = new URL('./worker.ts', here).href;
    const boot = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
    return new Worker(boot, { eval: true, workerData: data });
  }
  const entry = here.endsWith('/read-thread/thread-source.js') ? new URL('./worker.js', here) : new URL('./read-thread-worker.js', here);
  return new Worker(entry, { workerData: data });
}
