import Database from 'better-sqlite3';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  Store,
  encodeAssertion,
  encodeEpoch,
  encodeVote,
  migrate,
  schemaVersion,
  type Assertion,
  type JournalRecord,
} from '../src/ingest/index.js';
import { StemeError } from '../src/index.js';
import { FakeSource } from './helpers/ingest-fake-source.js';
import { EPOCH_A, EPOCH_B, T0, assertion, epoch, hex, plain, tempDir, vote } from './helpers/ingest-fixtures.js';

const tmp = tempDir('stemedb-store-');
const open: Store[] = [];
let n = 0;
let src: FakeSource;

function newStore(options = {}): Store {
  const s = Store.open(tmp.file(`s${n++}.db`), options);
  open.push(s);
  return s;
}

/** Appends payloads to a fresh fake journal and applies them to the store in one batch. */
function ingest(store: Store, payloads: Uint8Array[], consumer = 'default'): JournalRecord[] {
  const recs = src.appendAll(payloads);
  store.applyBatch(consumer, recs);
  return recs;
}

test.before(async () => {
  src = await FakeSource.create();
});

test.after(() => {
  for (const s of open) s.close();
  tmp.remove();
});

// ---- schema & migrations -------------------------------------------------------

test('a new store has the current schema, WAL, WITHOUT ROWID content tables', () => {
  const s = newStore();
  assert.is(s.schemaVersion, SCHEMA_VERSION);
  assert.is(SCHEMA_VERSION, MIGRATIONS.length);
  assert.is(s.db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = s.db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as { name: string; sql: string }[];
  assert.equal(tables.map((t) => t.name), ['assertions', 'dead_letters', 'epochs', 'ingest_cursors', 'votes']);
  for (const t of tables) assert.match(t.sql, /WITHOUT ROWID/, t.name);
  const indexes = s.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).pluck().all();
  assert.equal(indexes, ['assertions_by_epoch', 'assertions_by_subject']);
});

test('reopening is a no-op migration and keeps data', () => {
  const path = tmp.file('reopen.db');
  const a = Store.open(path);
  ingest(a, [encodeAssertion(assertion(1))]);
  a.close();
  const b = Store.open(path);
  open.push(b);
  assert.is(b.counts().assertions, 1);
  assert.is(b.schemaVersion, SCHEMA_VERSION);
});

test('migrates forward from an older user_version, keeping rows', () => {
  const path = tmp.file('old.db');
  const db = new Database(path);
  assert.equal(migrate(db, 1), { from: 0, to: 1 });
  assert.is(schemaVersion(db), 1);
  db.prepare(
    `INSERT INTO assertions (hash, subject, predicate, object, object_kind, epoch, author, confidence, created_at, evidence, offset)
     VALUES (?, 'old-subject', 'p', 'o', 0, ?, 'a', 0.5, 1, NULL, 0)`,
  ).run(Buffer.alloc(32, 1), Buffer.from(EPOCH_A));
  db.prepare(`INSERT INTO ingest_cursors (consumer, next_offset, updated_at) VALUES ('default', 123, 0)`).run();
  // v1 has no dead_letters table
  assert.throws(() => db.prepare('SELECT * FROM dead_letters').all(), /no such table/);
  db.close();

  const s = Store.open(path);
  open.push(s);
  assert.is(s.schemaVersion, SCHEMA_VERSION);
  assert.is(s.cursor(), 123);
  const a = s.getAssertion(Buffer.alloc(32, 1))!;
  assert.is(a.subject, 'old-subject');
  assert.is(s.assertionsInEpoch(EPOCH_A).length, 1, 'v2 index works on migrated rows');
  assert.equal(s.deadLetters(), []);
});

test('a failing migration step rolls back entirely', () => {
  const path = tmp.file('fail.db');
  const db = new Database(path);
  migrate(db, 1);
  db.exec('CREATE TABLE dead_letters (x)'); // makes step 2 fail
  db.close();
  assert.throws(() => Store.open(path), /already exists/);
  const check = new Database(path, { readonly: true });
  assert.is(schemaVersion(check), 1, 'user_version unchanged');
  const idx = check.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'assertions_by_epoch'`).pluck().get();
  assert.is(idx, 0, 'no half-applied step');
  check.close();
});

const hasCode = (code: string, message: RegExp) => (err: unknown) =>
  err instanceof StemeError && err.code === code && message.test(err.message);

test('refuses a database newer than the code with SCHEMA_TOO_NEW, changing nothing in it (not even the journal mode)', () => {
  const newer = tmp.file('newer.db');
  const db = new Database(newer);
  db.exec('CREATE TABLE future (x); INSERT INTO future VALUES (1)');
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  assert.is(db.pragma('journal_mode', { simple: true }), 'delete');
  db.close();
  const before = readFileSync(newer);
  const filesBefore = readdirSync(tmp.dir).sort();
  for (const options of [{}, { pageSize: 4096, synchronous: 'FULL' as const }, { readonly: true }]) {
    assert.throws(() => Store.open(newer, options), hasCode('SCHEMA_TOO_NEW', /newer than this stemedb supports/), JSON.stringify(options));
    assert.ok(readFileSync(newer).equals(before), `file bytes unchanged (${JSON.stringify(options)})`);
    assert.equal(readdirSync(tmp.dir).sort(), filesBefore, 'no -wal / -shm left behind');
  }
  const check = new Database(newer, { readonly: true });
  assert.is(check.pragma('journal_mode', { simple: true }), 'delete');
  assert.is(schemaVersion(check), SCHEMA_VERSION + 1);
  check.close();
  // migrate() itself (e.g. another process upgraded meanwhile) says the same.
  const raw = new Database(newer);
  assert.throws(() => migrate(raw), hasCode('SCHEMA_TOO_NEW', /newer/));
  raw.close();
});

test('readonly needs the current schema: an older one is SCHEMA_TOO_OLD', () => {
  const old = tmp.file('old-ro.db');
  const db2 = new Database(old);
  migrate(db2, 1);
  db2.close();
  assert.throws(() => Store.open(old, { readonly: true }), hasCode('SCHEMA_TOO_OLD', /open it once without readonly to migrate/));
  assert.throws(() => Store.open(tmp.file('missing.db'), { readonly: true }));
});

test('a readonly store answers queries but does not write', () => {
  const path = tmp.file('ro.db');
  const w = Store.open(path);
  const [rec] = ingest(w, [encodeAssertion(assertion(1))]);
  const r = Store.open(path, { readonly: true });
  open.push(r);
  assert.is(r.getAssertion(rec!.hash)!.subject, 'entity:1');
  assert.throws(() => r.applyBatch('default', []), /readonly/);
  w.close();
});

test('option validation', () => {
  assert.throws(() => Store.open(''), TypeError);
  assert.throws(() => Store.open(tmp.file('x.db'), { synchronous: 'OFF' as 'FULL' }), RangeError);
  assert.throws(() => Store.open(tmp.file('y.db'), { cacheSizeKiB: 0 }), RangeError);
});

// ---- queries ------------------------------------------------------------------------

test('getAssertion returns every field; hex and bytes keys; unknown -> null', () => {
  const s = newStore();
  const objects: Assertion['object'][] = ['text', 12, -0.25, true, false, new Uint8Array([1, 2, 3]), ''];
  const as = objects.map((object, i) => assertion(i, { object, evidence: i === 0 ? ['ev1', 'ev2'] : undefined }));
  const recs = ingest(s, as.map(encodeAssertion));
  for (let i = 0; i < as.length; i++) {
    const got = s.getAssertion(recs[i]!.hash)!;
    const { hash, offset, ...fields } = got;
    assert.equal(plain(fields), plain(as[i]));
    assert.is(typeof got.object, typeof as[i]!.object);
    assert.is(hex(hash), hex(recs[i]!.hash));
    assert.is(offset, recs[i]!.offset);
    assert.equal(plain(s.getAssertion(hex(recs[i]!.hash))), plain(got), 'hex key');
    assert.equal(plain(s.getAssertion(hex(recs[i]!.hash).toUpperCase())), plain(got), 'upper-case hex key');
  }
  assert.is(s.getAssertion(new Uint8Array(32)), null);
  assert.throws(() => s.getAssertion(new Uint8Array(31)), RangeError);
  assert.throws(() => s.getAssertion('abc'), RangeError);
  assert.throws(() => s.getAssertion('zz'.repeat(32)), RangeError);
  assert.throws(() => s.getAssertion(5 as unknown as string), TypeError);
});

test('assertionsBySubject lists every assertion, keyset-paginated in (createdAt, hash) order', () => {
  const s = newStore();
  const total = 257;
  // Many share a createdAt, so the hash tie-break matters; another subject is interleaved.
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    payloads.push(encodeAssertion(assertion(i, { subject: 'hot', createdAt: T0 + (i % 10), object: i })));
    if (i % 3 === 0) payloads.push(encodeAssertion(assertion(i, { subject: 'other' })));
  }
  ingest(s, payloads.reverse());
  const all = s.assertionsBySubject('hot', { limit: 10_000 });
  assert.is(all.length, total);
  const sorted = [...all].sort((x, y) => x.createdAt - y.createdAt || Buffer.compare(x.hash, y.hash));
  assert.equal(all.map((a) => hex(a.hash)), sorted.map((a) => hex(a.hash)));

  for (const limit of [1, 7, 100, 256, 257, 1000]) {
    const seen: string[] = [];
    let after: Uint8Array | undefined;
    for (;;) {
      const page = s.assertionsBySubject('hot', { limit, after });
      assert.ok(page.length <= limit);
      seen.push(...page.map((a) => hex(a.hash)));
      if (page.length < limit) break;
      after = page[page.length - 1]!.hash;
    }
    assert.equal(seen, all.map((a) => hex(a.hash)), `limit ${limit}`);
  }
  assert.is(s.assertionsBySubject('hot').length, 100, 'default limit');
  assert.equal(s.assertionsBySubject('nobody'), []);
  assert.is(s.assertionsBySubject('other', { limit: 1000 }).length, 86);
  const otherHash = s.assertionsBySubject('other', { limit: 1 })[0]!.hash;
  assert.throws(() => s.assertionsBySubject('hot', { after: otherHash }), /no assertion with that hash about subject/);
  assert.throws(() => s.assertionsBySubject('hot', { limit: 0 }), RangeError);
  assert.throws(() => s.assertionsBySubject('hot', { limit: 1.5 }), RangeError);
});

test('subject and epoch pages are index range scans, not table scans', () => {
  const s = newStore();
  const plan = (sql: string, ...args: unknown[]) =>
    (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | ');
  const q = 'SELECT * FROM assertions WHERE subject = ? AND (created_at, hash) > (?, ?) ORDER BY created_at, hash LIMIT 10';
  const p1 = plan(q, 's', 0, Buffer.alloc(32));
  assert.match(p1, /USING INDEX assertions_by_subject/);
  assert.not.match(p1, /TEMP B-TREE/);
  const p2 = plan(q.replace('subject', 'epoch'), Buffer.alloc(16), 0, Buffer.alloc(32));
  assert.match(p2, /USING INDEX assertions_by_epoch/);
  assert.not.match(p2, /TEMP B-TREE/);
});

test('assertionsInEpoch paginates by epoch', () => {
  const s = newStore();
  const payloads = [];
  for (let i = 0; i < 30; i++) payloads.push(encodeAssertion(assertion(i, { epoch: i % 3 === 0 ? EPOCH_B : EPOCH_A })));
  ingest(s, payloads);
  assert.is(s.assertionsInEpoch(EPOCH_A, { limit: 100 }).length, 20);
  const first = s.assertionsInEpoch(hex(EPOCH_B), { limit: 4 });
  assert.is(first.length, 4);
  const rest = s.assertionsInEpoch(EPOCH_B, { limit: 100, after: first[3]!.hash });
  assert.is(rest.length, 6);
  assert.ok(rest.every((a) => hex(a.epoch) === hex(EPOCH_B)));
  assert.equal(s.assertionsInEpoch(new Uint8Array(16)), []);
  assert.throws(() => s.assertionsInEpoch(new Uint8Array(15)), RangeError);
});

test('votesFor and tally (weighted; perVoter latest); null until the assertion exists', () => {
  const s = newStore();
  const [target] = ingest(s, [encodeAssertion(assertion(1))]);
  const h = target!.hash;
  ingest(s, [
    encodeVote(vote(h, 1, { voter: 'ann', stance: 1, weight: 2 })),
    encodeVote(vote(h, 2, { voter: 'bob', stance: -1, weight: 0.5 })),
    encodeVote(vote(h, 3, { voter: 'cy', stance: 1, weight: 1.25 })),
    encodeVote(vote(h, 4, { voter: 'ann', stance: -1, weight: 3 })), // ann changes her mind
  ]);
  const votes = s.votesFor(h);
  assert.equal(votes.map((v) => [v.voter, v.stance, v.weight]), [['ann', 1, 2], ['bob', -1, 0.5], ['cy', 1, 1.25], ['ann', -1, 3]]);
  assert.equal(s.tally(h), { support: 3.25, oppose: 3.5, score: -0.25, votes: 4 });
  assert.equal(s.tally(hex(h), { perVoter: 'latest' }), { support: 1.25, oppose: 3.5, score: -2.25, votes: 3 });

  const [lonely] = ingest(s, [encodeAssertion(assertion(2))]);
  assert.equal(s.tally(lonely!.hash), { support: 0, oppose: 0, score: 0, votes: 0 });

  const ghost = new Uint8Array(32).fill(9);
  ingest(s, [encodeVote(vote(ghost, 1))]);
  assert.is(s.votesFor(ghost).length, 1, 'orphan vote is kept');
  assert.is(s.tally(ghost), null, 'not counted while its assertion is missing');
  assert.throws(() => s.tally(h, { perVoter: 'first' as 'all' }), RangeError);
});

test('getEpoch with and without parent', () => {
  const s = newStore();
  const [ra, rb] = ingest(s, [encodeEpoch(epoch(EPOCH_A)), encodeEpoch(epoch(EPOCH_B, { name: 'next', parent: EPOCH_A }))]);
  const a = s.getEpoch(EPOCH_A)!;
  assert.equal(plain({ ...a, hash: undefined, offset: undefined }), plain(epoch(EPOCH_A)));
  assert.is(a.parent, undefined);
  assert.is(hex(a.hash), hex(ra!.hash));
  const b = s.getEpoch(hex(EPOCH_B))!;
  assert.is(hex(b.parent!), hex(EPOCH_A));
  assert.is(b.offset, rb!.offset);
  assert.is(s.getEpoch(new Uint8Array(16)), null);
});

test('applyBatch: cursor, duplicates, dead letters, epoch conflicts, counts', () => {
  const s = newStore();
  assert.is(s.cursor(), undefined);
  const good = encodeAssertion(assertion(1));
  const recs = src.appendAll([good, good, Uint8Array.from([9, 0, 0, 0, 0, 0, 0, 0, 0x90]), encodeEpoch(epoch()), encodeEpoch(epoch(EPOCH_A, { name: 'other' }))]);
  const r = s.applyBatch('default', recs);
  assert.equal(
    { ...r },
    { records: 5, assertions: 1, votes: 0, epochs: 1, duplicates: 1, deadLetters: 2, skipped: 0, cursor: recs[4]!.next },
  );
  assert.is(s.cursor(), recs[4]!.next);
  const dead = s.deadLetters();
  assert.equal(dead.map((d) => [d.offset, d.code]), [[recs[2]!.offset, 'UNKNOWN_TYPE'], [recs[4]!.offset, 'EPOCH_CONFLICT']]);
  assert.is(hex(dead[0]!.payload), hex(recs[2]!.payload));
  assert.is(hex(dead[0]!.hash), hex(recs[2]!.hash));
  assert.match(dead[1]!.reason, /already defined/);
  assert.is(s.getEpoch(EPOCH_A)!.name, 'modern physics', 'first definition wins');
  assert.equal(s.deadLetters({ after: recs[2]!.offset }).map((d) => d.code), ['EPOCH_CONFLICT']);
  assert.equal(s.counts(), { assertions: 1, votes: 0, epochs: 1, deadLetters: 2 });

  // Re-applying the same batch (a replay) changes nothing.
  const again = s.applyBatch('default', recs);
  assert.is(again.skipped, 5);
  assert.equal(s.counts(), { assertions: 1, votes: 0, epochs: 1, deadLetters: 2 });

  // Another consumer has its own cursor; rows collapse by hash.
  const other = s.applyBatch('mirror', recs);
  assert.is(other.duplicates, 3);
  assert.is(s.cursor('mirror'), recs[4]!.next);
  assert.equal(s.cursors().map((c) => c.consumer), ['default', 'mirror']);
  assert.is(s.deadLetters({ consumer: 'mirror' }).length, 2);
});

test('applyBatch: invalid UTF-8 or a 64-bit integer beyond 2^53 is a MALFORMED dead letter, never a changed row', () => {
  const s = newStore();
  const badText = Buffer.from(encodeAssertion(assertion(1, { subject: 'abcdef' })));
  badText[badText.indexOf('abcdef') + 2] = 0xff;
  const bigTime = Buffer.from(encodeVote(vote(new Uint8Array(32), 1, { createdAt: 7 })));
  // createdAt 7 is the last byte (a fixint): widen it to a uint 64 of 2^53 + 1.
  const big = Buffer.alloc(9);
  big[0] = 0xcf;
  big.writeBigUint64BE(2n ** 53n + 1n, 1);
  const recs = src.appendAll([badText, Buffer.concat([bigTime.subarray(0, bigTime.length - 1), big])]);
  const r = s.applyBatch('default', recs);
  assert.is(r.deadLetters, 2);
  assert.equal(s.counts(), { assertions: 0, votes: 0, epochs: 0, deadLetters: 2 });
  const dead = s.deadLetters();
  assert.equal(dead.map((d) => d.code), ['MALFORMED', 'MALFORMED']);
  assert.match(dead[0]!.reason, /UTF-8/);
  assert.match(dead[1]!.reason, /integer/);
  for (let i = 0; i < 2; i++) assert.is(hex(dead[i]!.payload), hex(recs[i]!.payload), 'kept byte for byte');
});

test('applyBatch rejects a source that breaks its contract, atomically', () => {
  const s = newStore();
  const [a, b] = src.appendAll([encodeAssertion(assertion(1)), encodeAssertion(assertion(2))]);
  assert.throws(() => s.applyBatch('default', [a!, { ...b!, hash: new Uint8Array(16) }]), /malformed/);
  assert.throws(() => s.applyBatch('default', [b!, a!]), /out of order/);
  assert.equal(s.counts().assertions, 0, 'nothing of a failed batch stays');
  assert.is(s.cursor(), undefined);
});

test('syncCursor marks the cursor durable', () => {
  const s = newStore();
  assert.is(s.syncCursor('default'), undefined);
  const recs = ingest(s, [encodeAssertion(assertion(1))]);
  assert.is(s.cursors()[0]!.synced, 0);
  assert.is(s.syncCursor('default'), recs[0]!.next);
  assert.is(s.cursors()[0]!.synced, recs[0]!.next);
  assert.is(s.db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL afterwards');
  const r = s.applyBatch('default', src.appendAll([encodeAssertion(assertion(2))]), { durable: true });
  assert.is(s.cursors()[0]!.synced, r.cursor);
});

test('syncCleanupFloor: a synced commit, then the slowest cursor of every consumer in the store', () => {
  const s = newStore();
  const recs = src.appendAll([encodeAssertion(assertion(1)), encodeAssertion(assertion(2)), encodeAssertion(assertion(3))]);
  assert.is(s.syncCleanupFloor('fast'), undefined, 'no cursor yet');
  s.applyBatch('fast', recs);
  assert.equal(s.syncCleanupFloor('fast'), { consumer: 'fast', next: recs[2]!.next }, 'alone, it is its own floor');
  s.applyBatch('slow', recs.slice(0, 1));
  s.applyBatch('also-slow', recs.slice(0, 1));
  assert.equal(s.syncCleanupFloor('fast'), { consumer: 'also-slow', next: recs[0]!.next });
  assert.is(s.cursors().find((c) => c.consumer === 'fast')!.synced, recs[2]!.next, 'and the caller\'s cursor is marked synced');
  assert.is(s.db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL afterwards');
});

test.run();
