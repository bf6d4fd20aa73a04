/**
 * Follow latency of the ingest bench (issue 17 item 4; run from benches/ingest.ts): one process
 * appends single assertions at a steady rate (default 1000/s) to a journal with the default
 * durability (group commit); another process follows the journal with Journal.openReader and an
 * Ingestor (start(): follow mode, default options) into a SQLite file. Latency of an assertion:
 * from just before the writer's append() call to the moment the reader's Ingestor has committed
 * the batch holding it (onBatch), i.e. when a query on the store can see it. Both clocks are
 * Date.now() on one machine; the append time travels in the record (createdAt).
 *
 * Run alone: `npx tsx benches/ingest-follow.ts` (STEMEDB_FOLLOW_COUNT, STEMEDB_FOLLOW_RATE).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Journal } from '../src/index.js';
import { Ingestor, Store, decodeRecord, encodeAssertion, type BatchResult, type IngestSource, type JournalRecord } from '../src/ingest/index.js';
import { type BenchResult, type Cell, isMain, log, main, makeTempDir, removeTempDir, sig, startResult, finishResult, target } from './lib/index.js';

const EPOCH = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
/** The first records warm both processes up (JIT, page cache): not counted. */
const WARMUP = 200;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number(v) : fallback;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Writer child: waits for 'go' on stdin, then appends `count` assertions, one every 1/rate s (on schedule, not after each append). */
async function writer(dir: string, count: number, rate: number): Promise<void> {
  const j = await Journal.open(dir);
  console.log('ready');
  await new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close(); // an open stdin would keep this process alive
      resolve();
    });
  });
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    // Always yield to the event loop: the group commit writes and syncs only when this loop lets it.
    const wait = due - performance.now();
    await new Promise((r) => (wait >= 1 ? setTimeout(r, wait) : setImmediate(r)));
    const payload = encodeAssertion({
      subject: `follow:${i}`,
      predicate: 'seq',
      object: i,
      epoch: EPOCH,
      author: 'bench',
      confidence: 1,
      createdAt: Date.now(),
    });
    pending.push(j.append(payload));
    if (pending.length >= 1000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await j.close();
  console.log('done');
}

/** Reader child: follows the journal into a store; prints one JSON array of latencies (ms) once `count` assertions are in. */
async function reader(dir: string, dbPath: string, count: number): Promise<void> {
  const journal = await Journal.openReader(dir);
  const store = Store.open(dbPath);
  // Append times by record end, in offset order, noted as the Ingestor reads them.
  const seen: Array<[next: number, appendedAt: number]> = [];
  const observe = (recs: readonly JournalRecord[]): void => {
    for (const r of recs) {
      const d = decodeRecord(r.payload);
      if (d.type === 0) seen.push([r.next, d.record.createdAt]);
    }
  };
  const source: IngestSource = {
    get firstOffset() {
      return journal.firstOffset;
    },
    iterate: (o) => journal.iterate(o),
    follow: (o) => journal.follow(o),
    async *followBatches(o) {
      for await (const batch of journal.followBatches(o)) {
        observe(batch);
        yield batch;
      }
    },
  };
  const latencies: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let k = 0;
  const ing = new Ingestor(source, store, {
    onBatch: (r: BatchResult) => {
      const now = Date.now();
      while (k < seen.length && seen[k]![0] <= r.cursor) latencies.push(now - seen[k++]![1]);
      if (latencies.length >= count) done();
    },
  });
  ing.start();
  console.log('ready');
  await finished;
  await ing.stop();
  await store.close();
  journal.close();
  console.log(JSON.stringify(latencies));
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Collects stdout lines; resolves `waitFor(re)` with the first line matching. */
function stdoutLines(c: ChildProcess): { waitFor(re: RegExp): Promise<string>; exited: Promise<number | null> } {
  const got: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  createInterface({ input: c.stdout! }).on('line', (l) => {
    got.push(l);
    for (const w of waiters.splice(0)) {
      if (w.re.test(l)) w.resolve(l);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
  return {
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const hit = got.find((l) => re.test(l));
        if (hit !== undefined) return resolve(hit);
        waiters.push({ re, resolve });
        void exited.then((code) => reject(new Error(`follow bench child exited (${code}) before printing ${re}`)));
      }),
    exited,
  };
}

/** One run: a writer and a reader process; the latencies (ms) after the warm-up. */
async function followOnce(count: number, rate: number): Promise<number[]> {
  const work = makeTempDir('ingest-follow');
  const w = child(['writer', join(work, 'wal'), String(count), String(rate)]);
  const wo = stdoutLines(w);
  let r: ChildProcess | null = null;
  try {
    await wo.waitFor(/^ready$/);
    r = child(['reader', join(work, 'wal'), join(work, 'db.sqlite'), String(count)]);
    const ro = stdoutLines(r);
    await ro.waitFor(/^ready$/);
    w.stdin!.end('go\n');
    const json = await ro.waitFor(/^\[/);
    await wo.waitFor(/^done$/);
    if ((await wo.exited) !== 0 || (await ro.exited) !== 0) throw new Error('a follow bench child failed');
    return (JSON.parse(json) as number[]).slice(WARMUP);
  } finally {
    if (w.exitCode === null) w.kill();
    if (r && r.exitCode === null) r.kill();
    removeTempDir(work);
  }
}

export async function runFollow(res: BenchResult, reps: number, quick: boolean): Promise<void> {
  const rate = envInt('STEMEDB_FOLLOW_RATE', 1000);
  const count = envInt('STEMEDB_FOLLOW_COUNT', quick ? 2000 : 10_000);
  const p50s: number[] = [];
  const p99s: number[] = [];
  const all: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const lat = (await followOnce(count, rate)).sort((a, b) => a - b);
    p50s.push(percentile(lat, 0.5));
    p99s.push(percentile(lat, 0.99));
    all.push(...lat);
    log(`  ${rep + 1}/${reps} follow at ${rate}/s: p50 ${p50s.at(-1)} ms, p99 ${p99s.at(-1)} ms, max ${lat.at(-1)} ms (${lat.length} assertions)`);
  }
  const sorted = [...p50s].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)]!;
  const p99 = [...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)]!;
  all.sort((a, b) => a - b);
  const rows: Cell[][] = [[`writer process at ${rate}/s -> reader process (Ingestor.start)`, count - WARMUP, p50, p99, all.at(-1)!]];
  res.tables.push({
    title: 'Follow mode: append -> queryable in the store',
    columns: ['setup', 'assertions per run', 'p50 ms (median of runs)', 'p99 ms (median of runs)', 'max ms (all runs)'],
    rows,
    notes: [
      `${reps} run(s). The writer appends single assertions with the default durability ('group'); the reader follows with Journal.openReader and an Ingestor with default options (maxLatencyMs 20), into a SQLite file.`,
      `Latency: from just before append() to the Ingestor's commit of the batch holding the record (onBatch), Date.now() in both processes; the first ${WARMUP} records of each run are not counted.`,
    ],
  });
  target(res, `Follow latency at ${rate} appends/s, p50`, '<= 50 ms', p50, '<=', 50, `p50 ${sig(p50, 3)} ms, p99 ${sig(p99, 3)} ms`);
}

if (isMain(import.meta.url)) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'writer') await writer(args[0]!, Number(args[1]), Number(args[2]));
  else if (mode === 'reader') await reader(args[0]!, args[1]!, Number(args[2]));
  else
    await main(async (opts) => {
      const res = startResult('ingest-follow', opts);
      await runFollow(res, 3, opts.quick);
      return finishResult(res);
    });
}
