// Many journals, one PostgreSQL: three writer processes each append to their own journal
// (overlapping assertions: each is in two journals, byte for byte); three ingestor processes, one
// per journal with its own consumer name, follow them into ONE database, and each is SIGKILLed
// several times at random moments and restarted. At the end the tables hold exactly the union of
// the three journals, each row once, and every consumer's cursor is at its journal's end.
// KILLS (default 3 per ingestor) and MANY_COUNT (default 1500 rounds) size it; MANY_SEED the RNG.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { Journal, blake3 } from '../src/index.js';
import { PgStore, decodeRecord, RecordType } from '../src/ingest/index.js';
import { lines, spawnTs } from './helpers/child.js';
import { hex, prng, tempDir } from './helpers/ingest-fixtures.js';
import { journalPayloads } from './helpers/many-journals.js';
import { PgServer, skipWithoutPg } from './helpers/pg-server.js';

const KILLS = Number(process.env.KILLS ?? 3);
const COUNT = Number(process.env.MANY_COUNT ?? 1500);
const seed = Number(process.env.MANY_SEED ?? Date.now() % 1_000_000);

if (skipWithoutPg('pg-many-journals.test.ts')) {
  test.run();
} else {
  const server = await PgServer.start();
  const tmp = tempDir('stemedb-many-');
  test.after(() => {
    server.stop();
    tmp.remove();
  });

  /**
   * Runs an ingestor child; resolves with how it ended. `kill`: SIGKILL it `delayMs` after its
   * `afterBatches`-th commit (so it dies while making progress, often inside the next batch), or
   * `deadlineMs` after it is ready (store and journal open) if it never gets that far. Counting
   * from ready, not from spawn: on a loaded machine starting a child alone can take seconds.
   */
  function ingestor(
    dir: string,
    url: string,
    consumer: string,
    mode: 'follow' | 'catchup',
    batchSize: number,
    kill?: { afterBatches: number; delayMs: number; deadlineMs: number },
  ) {
    const child: ChildProcess = spawnTs('child-ingest.ts', [dir, url, mode, String(batchSize), '5'], { INGEST_CONSUMER: consumer });
    let batches = 0;
    const exit = lines(child, (l) => {
      if (l.startsWith('batch ') && ++batches === kill?.afterBatches) setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      if (l.startsWith('ready ') && kill) setTimeout(() => child.kill('SIGKILL'), kill.deadlineMs);
    });
    return exit.then((e) => ({ ...e, batches }));
  }

  test('three journals, three SIGKILLed ingestors, one database: the union, each row once, cursors at the ends', async () => {
    console.log(`  MANY_SEED=${seed} KILLS=${KILLS} MANY_COUNT=${COUNT}`);
    const rand = prng(seed);
    const url = await server.database('many');
    const dirs = [0, 1, 2].map((k) => tmp.file(`j${k}`));
    for (const d of dirs) await (await Journal.open(d)).close();

    const writers = dirs.map((d, k) => {
      const child = spawnTs('child-journal-writer.ts', [d, String(k), String(COUNT)]);
      let end = -1;
      return lines(child, (l) => {
        if (l.startsWith('done ')) end = Number(l.slice(5));
      }).then((e) => {
        assert.is(e.code, 0, `writer ${k} exit`);
        return end;
      });
    });

    // Each ingestor: killed KILLS times at random moments (while its writer may still append), then
    // one final catch-up run after its writer is done.
    let killed = 0;
    let batchesBeforeKills = 0;
    const ingestors = dirs.map(async (d, k) => {
      for (let i = 0; i < KILLS; i++) {
        const kill = { afterBatches: 1 + Math.floor(rand() * 6), delayMs: Math.floor(rand() * 40), deadlineMs: 5_000 };
        const r = await ingestor(d, url, `journal-${k}`, 'follow', 1 + Math.floor(rand() * 150), kill);
        assert.is(r.signal, 'SIGKILL', `ingestor ${k} run ${i} should have been killed, not exited (${r.code})`);
        killed++;
        batchesBeforeKills += r.batches;
      }
      await writers[k];
      const last = await ingestor(d, url, `journal-${k}`, 'catchup', 500);
      assert.is(last.code, 0, `final ingestor ${k}`);
    });
    const ends = await Promise.all(writers);
    await Promise.all(ingestors);
    assert.is(killed, 3 * KILLS);
    console.log(`  ${batchesBeforeKills} batches committed by the runs that were then killed`);
    assert.ok(batchesBeforeKills > 0, 'the kills interrupted ingestors that were making progress');

    // The union of the three journals, computed from the same payloads.
    const assertions = new Set<string>();
    const votes = new Set<string>();
    for (let k = 0; k < 3; k++) {
      for (const p of journalPayloads(k, COUNT)) {
        const d = decodeRecord(p);
        if (d.type === RecordType.Assertion) assertions.add(hex(blake3(p)));
        else if (d.type === RecordType.Vote) votes.add(`${hex(d.record.assertion)}:${hex(blake3(p))}`);
      }
    }
    const store = await PgStore.open(url, { readonly: true });
    try {
      const a = await store.pool.query<{ h: string }>(`SELECT encode(hash, 'hex') AS h FROM assertions`);
      const v = await store.pool.query<{ k: string }>(`SELECT encode(assertion, 'hex') || ':' || encode(hash, 'hex') AS k FROM votes`);
      assert.is(a.rowCount, assertions.size, 'one row per distinct assertion');
      assert.ok(
        a.rows.every((r) => assertions.has(r.h)),
        'no assertion that is not in a journal',
      );
      assert.is(v.rowCount, votes.size, 'one row per distinct vote');
      assert.ok(
        v.rows.every((r) => votes.has(r.k)),
        'no vote that is not in a journal',
      );
      assert.equal(await store.counts(), { assertions: assertions.size, votes: votes.size, epochs: 0, deadLetters: 0 });
      const cursors = await store.cursors();
      assert.equal(
        cursors.map((c) => [c.consumer, c.next]),
        ends.map((e, k) => [`journal-${k}`, e]),
        'every cursor at its journal end',
      );
    } finally {
      await store.close();
    }
  });

  test.run();
}
