// Run inside a project that has stemedb installed, under Node, Bun or Deno (test:pack copies it
// there): a journal (concurrent appends: group commit), ingestion into SQLite on whichever
// driver the runtime gets, queries, and the exactly-once guarantees (a rerun adds nothing, a
// failed batch keeps nothing and moves no cursor, the next run completes it), and the same
// ingest with readThread (whether its worker ran or it fell back is in the output). Prints one
// JSON line.
import { Journal, Store, Ingestor, encodeAssertion, encodeVote, encodeEpoch, blake3, backend } from 'stemedb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fail = (m) => {
  throw new Error(m);
};
const runtime = process.versions.bun
  ? `bun ${process.versions.bun}`
  : process.versions.deno
    ? `deno ${process.versions.deno}`
    : `node ${process.versions.node}`;
const dir = mkdtempSync(join(tmpdir(), 'stemedb-rt-ingest-'));
const wal = join(dir, 'wal');
const T0 = 1_732_400_000_000;
const epochId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const assertionOf = (i, subject = `entity:${i % 5}`) => ({
  subject,
  predicate: 'knows',
  object: i % 3 === 0 ? i : `entity:${i + 1}`,
  epoch: epochId,
  author: 'did:key:z6MkAuthor',
  confidence: 0.5,
  createdAt: T0 + i,
});
try {
  let j = await Journal.open(wal, { segmentBytes: 64 * 1024 });
  await j.append(encodeEpoch({ id: epochId, name: 'test', description: 'runtime check', startedAt: T0 }));
  const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => j.append(encodeAssertion(assertionOf(i)))));
  const target = acks[0].hash;
  await Promise.all([1, 1, 1, -1].map((stance, i) => j.append(encodeVote({ assertion: target, voter: `v${i}`, stance, weight: 1 + i, createdAt: T0 + i }))));
  await j.append(encodeAssertion(assertionOf(7))); // a duplicate of record 7's content
  await j.append(new TextEncoder().encode('not a record')); // a dead letter
  await j.close();

  let store = Store.open(join(dir, 'facts.db'));
  const driver = store.driver;
  let reader = await Journal.openReader(wal);
  const first = await new Ingestor(reader, store, { batchSize: 50 }).catchUp();
  const c = store.counts();
  if (c.assertions !== 200 || c.votes !== 4 || c.epochs !== 1 || c.deadLetters !== 1 || first.duplicates !== 1)
    fail(`counts after ingest: ${JSON.stringify(c)}, duplicates ${first.duplicates}`);
  // The same journal with readThread: a worker thread (dist/cjs/read-thread-worker.js) reads it.
  const threadStore = Store.open(join(dir, 'thread.db'));
  const threadNotices = [];
  const viaThread = await new Ingestor(reader, threadStore, { batchSize: 50, readThread: true, onError: (e) => threadNotices.push(String(e)) }).catchUp();
  if (JSON.stringify(threadStore.counts()) !== JSON.stringify(c) || viaThread.duplicates !== 1)
    fail(`readThread counts: ${JSON.stringify(threadStore.counts())} vs ${JSON.stringify(c)}`);
  threadStore.close();
  const readThread = threadNotices.length === 0 ? 'worker' : `fell back: ${threadNotices.join('; ')}`;
  const again = await new Ingestor(reader, store).catchUp();
  if (again.records !== 0) fail(`a second run read ${again.records} records`);
  const cursor = store.cursor();
  store.close();
  await reader.close();

  // Exactly once across a failed batch: the batch holding 'boom' rolls back whole, cursor stays.
  j = await Journal.open(wal);
  for (let i = 0; i < 30; i++) await j.append(encodeAssertion(assertionOf(1000 + i, i === 17 ? 'boom' : 'later')));
  await j.close();
  store = Store.open(join(dir, 'facts.db'));
  if (store.cursor() !== cursor) fail('cursor not kept across reopen');
  store.db.exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON assertions WHEN NEW.subject = 'boom' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
  reader = await Journal.openReader(wal);
  const ing = new Ingestor(reader, store, { batchSize: 10 });
  let threw = false;
  try {
    await ing.catchUp();
  } catch (e) {
    threw = /simulated crash/.test(String(e));
  }
  if (!threw) fail('the failing batch did not fail');
  if (store.counts().assertions !== 210) fail(`after the failed batch: ${store.counts().assertions} assertions, want 210 (one batch of 10 kept)`);
  store.db.exec('DROP TRIGGER boom');
  const rest = await ing.catchUp();
  if (rest.assertions !== 20 || rest.duplicates !== 0 || store.counts().assertions !== 230) fail(`rerun: ${JSON.stringify(rest)}`);

  const bySubject = store.assertionsBySubject('entity:3', { limit: 1000 });
  if (bySubject.length !== 40 || !Buffer.isBuffer(bySubject[0].hash) || bySubject[0].object !== 3)
    fail(`assertionsBySubject: ${bySubject.length}, ${typeof bySubject[0]?.object}`);
  const page2 = store.assertionsBySubject('entity:3', { limit: 10, after: bySubject[9].hash });
  if (page2[0].hash.toString('hex') !== bySubject[10].hash.toString('hex')) fail('keyset pagination');
  const tally = store.tally(target);
  if (tally.support !== 6 || tally.oppose !== 4 || tally.votes !== 4) fail(`tally ${JSON.stringify(tally)}`);
  if (store.getEpoch(epochId)?.name !== 'test') fail('getEpoch');
  if (Buffer.from(store.getAssertion(target).hash).toString('hex') !== Buffer.from(blake3(encodeAssertion(assertionOf(0)))).toString('hex'))
    fail('getAssertion by hash');
  const dead = store.deadLetters();
  if (dead.length !== 1 || (dead[0].code !== 'TRUNCATED' && dead[0].code !== 'UNKNOWN_TYPE' && dead[0].code !== 'BAD_PADDING'))
    fail(`dead letters ${JSON.stringify(dead.map((d) => d.code))}`);
  store.close();
  await reader.close();
  console.log(JSON.stringify({ ok: true, runtime, backend, driver, assertions: 230, readThread }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
