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
  assert.equal(
    tables.map((t) => t.name),
    ['assertions', 'dead_letters', 'epochs', 'ingest_cursors', 'votes'],
  );
  for (const t of tables) assert.match(t.sql, /WITHOUT ROWID/, t.name);
  const indexes = s.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).pluck().all();
  assert.equal(indexes, ['assertions_by_epoch', 'assertions_by_subject', 'ingest_cursors_by_journal']);
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
  assert.equal(
    s.cursors().map((c) => [c.consumer, c.journal, c.next]),
    [['default', 'default', 123]],
    'v3: an old cursor reads the default journal',
  );
  assert.equal(s.syncCleanupFloor('default'), { consumer: 'default', next: 123, journal: 'default' });
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

const hasCode = (code: string, message: RegExp) => (err: unknown) => err instanceof StemeError && err.code === code && message.test(err.message);

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

// The query and batch-write behaviour shared with PgStore is in test/helpers/store-contract.ts
// (run by ingest-store-contract.test.ts); here: what only SQLite has.
test('syncCursor / syncCleanupFloor commit with synchronous=FULL, then put NORMAL back', () => {
  const s = newStore();
  const recs = ingest(s, [encodeAssertion(assertion(1))]);
  assert.is(s.syncCursor('default'), recs[0]!.next);
  assert.is(s.db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL after syncCursor');
  assert.equal(s.syncCleanupFloor('default'), { consumer: 'default', next: recs[0]!.next, journal: 'default' });
  assert.is(s.db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL after syncCleanupFloor');
});

test.run();
