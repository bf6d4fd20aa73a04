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
import { Journal, blake3 } from '../src/index.js';
import { Ingestor, Store, encodeAssertion, encodeEpoch, encodeVote } from '../src/ingest/index.js';
import { spawnTs } from './helpers/child.js';
import { watch } from './helpers/child-ingest-watch.js';
import { T0, hex, prng, randomBytes, tempDir } from './helpers/ingest-fixtures.js';

const cycles = Number(process.env.KILL_CYCLES ?? 8);
const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
const RECORDS = Number(process.env.KILL_RECORDS ?? 6000);

/** Tables and their keys; the columns compared are all but the wall-clock ones. */
const TABLES: Array<{ name: string; key: string; skip: string[] }> = [
  { name: 'assertions', key: 'hash', skip: [] },
  { name: 'votes', key: 'assertion, hash', skip: [] },
  { name: 'epochs', key: 'id', skip: [] },
  // created_at / updated_at are Date.now() at commit time: they differ between any two runs.
  { name: 'dead_letters', key: 'consumer, offset', skip: ['created_at'] },
  { name: 'ingest_cursors', key: 'consumer', skip: ['updated_at'] },
];

function columns(db: Store['db'], table: string, skip: string[]): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).filter((c) => !skip.includes(c));
}

/** Every row of every table as text (bytes as hex), in key order. `below`: only rows from offsets < below. */
function dump(db: Store['db'], below?: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const cols = columns(db, t.name, t.skip);
    const where = below !== undefined && cols.includes('offset') ? ` WHERE offset < ${below}` : '';
    const rows = db.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${t.name}${where} ORDER BY ${t.key}`).all() as Record<string, unknown>[];
    out[t.name] = rows.map((r) => JSON.stringify(cols.map((c) => r[c]).map((v) => (v instanceof Uint8Array ? `x${hex(v)}` : v))));
  }
  return out;
}

/** A journal of mixed records: assertions, votes (some before their assertion), epochs (and a
 * conflicting redefinition), exact duplicates of earlier payloads, and malformed payloads. */
function buildPayloads(rand: () => number, count: number): Uint8Array[] {
  const epochs = [0, 1, 2].map((k) => Uint8Array.from({ length: 16 }, (_, i) => 16 * k + i + 1));
  const out: Uint8Array[] = [];
  const assertions: Uint8Array[] = [];
  const futureVotes: Array<{ at: number; payload: Uint8Array }> = [];
  for (let i = 0; out.length < count; i++) {
    const r = rand();
    if (i < 3) {
      out.push(encodeEpoch({ id: epochs[i]!, name: `epoch ${i}`, description: i ? 'refines' : '', startedAt: T0, ...(i ? { parent: epochs[0]! } : {}) }));
    } else if (r < 0.6) {
      const a = encodeAssertion({
        subject: `s${Math.floor(rand() * 50)}`,
        predicate: ['p', 'q', 'r'][Math.floor(rand() * 3)]!,
        object: rand() < 0.5 ? `o${i}` : rand() < 0.5 ? i * 0.5 : rand() < 0.5 ? rand() < 0.5 : randomBytes(rand, 4),
        epoch: epochs[Math.floor(rand() * 3)]!,
        author: `a${Math.floor(rand() * 5)}`,
        confidence: Math.floor(rand() * 101) / 100,
        createdAt: T0 + Math.floor(rand() * 10_000),
        ...(rand() < 0.2 ? { evidence: [`e${i}`] } : {}),
      });
      assertions.push(a);
      out.push(a);
    } else if (r < 0.75 && assertions.length > 0) {
      const target = assertions[Math.floor(rand() * assertions.length)]!;
      out.push(
        encodeVote({
          assertion: blake3(target),
          voter: `v${Math.floor(rand() * 20)}`,
          stance: rand() < 0.7 ? 1 : -1,
          weight: 0.5 + Math.floor(rand() * 4),
          createdAt: T0 + i,
        }),
      );
    } else if (r < 0.8) {
      // A vote for an assertion that comes later (or never).
      const later = encodeAssertion({ subject: `late${i}`, predicate: 'p', object: i, epoch: epochs[0]!, author: 'a', confidence: 1, createdAt: T0 + i });
      out.push(encodeVote({ assertion: blake3(later), voter: 'early', stance: 1, weight: 1, createdAt: T0 + i }));
      if (rand() < 0.8) futureVotes.push({ at: out.length + Math.floor(rand() * 500), payload: later });
    } else if (r < 0.9 && out.length > 0) {
      out.push(out[Math.floor(rand() * out.length)]!); // exact duplicate
    } else if (r < 0.95) {
      const junk = randomBytes(rand, 1 + Math.floor(rand() * 40));
      if (rand() < 0.5) junk[0] = Math.floor(rand() * 3); // a plausible type byte
      out.push(junk);
    } else if (r < 0.96) {
      out.push(encodeEpoch({ id: epochs[Math.floor(rand() * 3)]!, name: `redefined ${i}`, description: '', startedAt: T0 + i }));
    } else {
      out.push(encodeAssertion({ subject: 'hot', predicate: 'p', object: i, epoch: epochs[1]!, author: 'a', confidence: 0.5, createdAt: T0 }));
    }
    for (let k = futureVotes.length - 1; k >= 0; k--) {
      if (futureVotes[k]!.at <= out.length) out.push(futureVotes.splice(k, 1)[0]!.payload);
    }
  }
  return out.slice(0, count);
}

test(`an ingest process SIGKILLed ${cycles} times at random moments ends identical to one clean pass (seed ${seed})`, async () => {
  console.log(`\n  seed ${seed}, ${cycles} kill cycles, ${RECORDS} records (KILL_SEED, KILL_CYCLES, KILL_RECORDS)`);
  const tmp = tempDir('stemedb-ingest-kill-');
  const rand = prng(seed);
  try {
    // The journal: built once, closed (the children read it with Journal.openReader).
    const walDir = tmp.file('wal');
    const j = await Journal.open(walDir, { durability: 'none', syncIntervalMs: 0, segmentBytes: 64 * 1024 });
    const payloads = buildPayloads(rand, RECORDS);
    for (let i = 0; i < payloads.length; i += 500) await j.appendBatch(payloads.slice(i, i + 500));
    await j.sync();
    const end = j.nextOffset;
    const start = j.firstOffset;
    await j.close();

    // One clean pass, in this process.
    const reader = await Journal.openReader(walDir);
    const clean = Store.open(tmp.file('clean.db'));
    const cleanStats = await new Ingestor(reader, clean).catchUp();
    reader.close();
    assert.is(cleanStats.cursor, end);
    assert.ok(
      cleanStats.assertions > 0 && cleanStats.votes > 0 && cleanStats.epochs > 0 && cleanStats.duplicates > 0 && cleanStats.deadLetters > 0,
      JSON.stringify(cleanStats),
    );
    const expected = dump(clean.db);

    // Kill cycles.
    const dbPath = tmp.file('killed.db');
    let cursor = start;
    let midway = 0;
    const log: string[] = [];
    for (let c = 0; c < cycles; c++) {
      const batchSize = 1 + Math.floor(rand() ** 2 * 200);
      const child = watch(spawnTs('child-ingest.ts', [walDir, dbPath, 'catchup', String(batchSize)]));
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
      const s = Store.open(dbPath);
      const now = s.cursor() ?? start;
      assert.ok(now >= cursor, `cursor never goes back (${cursor} -> ${now})`);
      const got = dump(s.db);
      s.close();
      const want = dump(clean.db, now);
      want.ingest_cursors = now === start && got.ingest_cursors!.length === 0 ? [] : [JSON.stringify(['default', now, 0, 'default'])]; // consumer, next, synced, journal
      assert.equal(got, want, `cycle ${c}: the store holds exactly the rows below its cursor ${now} (seed ${seed})`);
      if (now > start && now < end) midway++;
      log.push(
        `${c}: batch ${batchSize}, ${byProgress ? `kill at cursor >= ${target} + ${delayMs} ms` : `kill after ${delayMs} ms`} -> cursor ${now} (${Math.round(((now - start) / (end - start)) * 100)}%)`,
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

test.run();
