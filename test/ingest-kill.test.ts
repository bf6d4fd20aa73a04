// An ingest process SIGKILLed at random moments and restarted ends with tables identical to one
// clean pass. Real processes: a child (test/helpers/child-ingest.ts) ingests a real journal through
// Journal.openReader into a file store, with a random batch size each run; this process kills it
// at a random point (after a random amount of progress, or a random time after it started),
// checks the store it left behind, restarts it, and at the end compares every table row by row.
//
// After every kill the store must hold exactly the clean pass's rows that came from offsets below
// the committed cursor, and nothing else: exactly once at every crash point, not only at the end.
//
// KILL_CYCLES (default 8) sets the number of kills; KILL_SEED the RNG seed (printed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { Ingestor, Store } from '../src/ingest/index.js';
import { spawnTs } from './helpers/child.js';
import { watch } from './helpers/child-ingest-watch.js';
import { prng, tempDir } from './helpers/ingest-fixtures.js';
import { TABLES, buildPayloads, dump } from './helpers/ingest-mixed.js';

const cycles = Number(process.env.KILL_CYCLES ?? 8);
const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
const RECORDS = Number(process.env.KILL_RECORDS ?? 6000);

/** The journal (built once, closed: the children read it with Journal.openReader) and one clean pass of it, in this process. */
async function journalAndCleanPass(tmp: ReturnType<typeof tempDir>, rand: () => number) {
  const walDir = tmp.file('wal');
  const j = await Journal.open(walDir, { durability: 'none', syncIntervalMs: 0, segmentBytes: 64 * 1024 });
  const payloads = buildPayloads(rand, RECORDS);
  for (let i = 0; i < payloads.length; i += 500) await j.appendBatch(payloads.slice(i, i + 500));
  await j.sync();
  const end = j.nextOffset;
  const start = j.firstOffset;
  await j.close();
  const reader = await Journal.openReader(walDir);
  const clean = Store.open(tmp.file('clean.db'));
  const cleanStats = await new Ingestor(reader, clean).catchUp();
  reader.close();
  assert.is(cleanStats.cursor, end);
  assert.ok(
    cleanStats.assertions > 0 && cleanStats.votes > 0 && cleanStats.epochs > 0 && cleanStats.duplicates > 0 && cleanStats.deadLetters > 0,
    JSON.stringify(cleanStats),
  );
  return { walDir, start, end, clean };
}

/** The store at dbPath holds exactly the clean pass's rows below its cursor (and that cursor); returns the cursor. */
function checkBelowCursor(dbPath: string, clean: Store, start: number, what: string): number {
  const s = Store.open(dbPath);
  const now = s.cursor() ?? start;
  const got = dump(s.db);
  s.close();
  const want = dump(clean.db, now);
  want.ingest_cursors = now === start && got.ingest_cursors!.length === 0 ? [] : [JSON.stringify(['default', now, 0, 'default'])]; // consumer, next, synced, journal
  assert.equal(got, want, `${what}: the store holds exactly the rows below its cursor ${now}`);
  return now;
}

test(`an ingest process SIGKILLed ${cycles} times at random moments ends identical to one clean pass (seed ${seed})`, async () => {
  console.log(`\n  seed ${seed}, ${cycles} kill cycles, ${RECORDS} records (KILL_SEED, KILL_CYCLES, KILL_RECORDS)`);
  const tmp = tempDir('stemedb-ingest-kill-');
  const rand = prng(seed);
  try {
    const { walDir, start, end, clean } = await journalAndCleanPass(tmp, rand);
    const expected = dump(clean.db);

    // Kill cycles.
    const dbPath = tmp.file('killed.db');
    let cursor = start;
    let midway = 0;
    const log: string[] = [];
    for (let c = 0; c < cycles; c++) {
      const batchSize = 1 + Math.floor(rand() ** 2 * 200);
      const thread = c % 2 === 1; // every other run reads on a worker thread (readThread)
      const child = watch(spawnTs('child-ingest.ts', [walDir, dbPath, 'catchup', String(batchSize)], { INGEST_READ_THREAD: thread ? '1' : '0' }));
      // Mostly: once the child's cursor passes a target spread over the journal (cycle c aims
      // into the c-th slice), kill 0-3 ms later, while later transactions run. Sometimes: a random
      // time after it opened, which can land before its first commit (during recovery and setup).
      const byProgress = rand() < 0.8;
      const target = Math.max(cursor, start + Math.floor(((c + rand()) / (cycles + 1)) * (end - start)));
      const delayMs = byProgress ? Math.floor(rand() * 4) : Math.floor(rand() * 60);
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const kill = () => {
        if (killTimer === undefined) killTimer = setTimeout(() => child.child.kill('SIGKILL'), delayMs);
      };
      try {
        await child.waitFor(/^ready \d+$/, 30_000);
        if (!byProgress) kill();
        else {
          child.onLine((l) => {
            const m = /^batch (\d+) /.exec(l);
            if (m && Number(m[1]) >= target) kill();
          });
        }
        const exit = await child.exited;
        clearTimeout(killTimer);
        if (exit.signal !== 'SIGKILL') assert.is(exit.code, 0, `child ${c} exited cleanly if not killed`);
      } finally {
        clearTimeout(killTimer);
        if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
        await child.exited;
      }
      // The store as the killed process left it (opening recovers SQLite's WAL).
      const now = checkBelowCursor(dbPath, clean, start, `cycle ${c} (seed ${seed})`);
      assert.ok(now >= cursor, `cursor never goes back (${cursor} -> ${now})`);
      if (now > start && now < end) midway++;
      log.push(
        `${c}: batch ${batchSize}${thread ? ', read thread' : ''}, ${byProgress ? `kill at cursor >= ${target} + ${delayMs} ms` : `kill after ${delayMs} ms`} -> cursor ${now} (${Math.round(((now - start) / (end - start)) * 100)}%)`,
      );
      cursor = now;
    }
    console.log(log.map((l) => `  ${l}`).join('\n'));
    assert.ok(midway >= Math.min(2, cycles), `kills landed mid-ingest (${midway} of ${cycles})`);

    // The last run goes to the end.
    const last = watch(spawnTs('child-ingest.ts', [walDir, dbPath, 'catchup', String(1 + Math.floor(rand() * 300))]));
    await last.waitFor(/^done /, 60_000);
    assert.equal(await last.exited, { code: 0, signal: null });
    const final = Store.open(dbPath);
    const got = dump(final.db);
    assert.is(final.cursor(), end);
    final.close();
    for (const t of TABLES) assert.equal(got[t.name], expected[t.name], `table ${t.name} (seed ${seed})`);
    clean.close();
  } finally {
    tmp.remove();
  }
});

test('an ingest process SIGKILLed while batches are in flight between its threads keeps exactly its commits', async () => {
  const tmp = tempDir('stemedb-ingest-kill-');
  try {
    const { walDir, start, end, clean } = await journalAndCleanPass(tmp, prng(seed + 1));
    const dbPath = tmp.file('killed.db');
    // readThread with 200-record batches: the worker thread runs up to two buffers ahead of the
    // batch being inserted. After its first commit the child blocks its main thread for 10 s
    // (INGEST_HOLD_MS) while the worker goes on: the buffers it sends wait in the main thread's
    // queue, read and verified but not committed, when the kill comes 300 ms later.
    const child = watch(spawnTs('child-ingest.ts', [walDir, dbPath, 'catchup', '200'], { INGEST_READ_THREAD: '1', INGEST_HOLD_MS: '10000' }));
    let committed = -1;
    try {
      committed = Number((await child.waitFor(/^batch (\d+) /, 30_000))[1]);
      await child.waitFor(/^holding$/, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.child.kill('SIGKILL');
      assert.equal(await child.exited, { code: null, signal: 'SIGKILL' });
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.exited;
    }
    // Exactly the first batch: nothing of what was in flight.
    assert.ok(committed > start && committed < end, `first commit ${committed}`);
    assert.is(checkBelowCursor(dbPath, clean, start, 'after the kill'), committed);
    // Restarted (on the thread again), it ends with the clean pass's tables.
    const last = watch(spawnTs('child-ingest.ts', [walDir, dbPath, 'catchup', '500'], { INGEST_READ_THREAD: '1' }));
    await last.waitFor(/^done /, 60_000);
    assert.equal(await last.exited, { code: 0, signal: null });
    assert.is(checkBelowCursor(dbPath, clean, start, 'after the restart'), end);
    clean.close();
  } finally {
    tmp.remove();
  }
});

test.run();
