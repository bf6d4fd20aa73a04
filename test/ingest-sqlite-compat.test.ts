// The adapter that puts node:sqlite and bun:sqlite behind the store's better-sqlite3-shaped seam,
// driven here by a raw driver that answers as they do (plain Uint8Array BLOBs, null-prototype rows,
// null for "no row", get()/all() on any statement). The real runtimes run it in test:pack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { CompatDatabase, type RawDatabase } from '../src/ingest/sqlite/compat.js';
import { blake3 } from '../src/index.js';
import { migrate, schemaVersion, SCHEMA_VERSION, encodeAssertion } from '../src/ingest/index.js';
import { BatchWriter } from '../src/ingest/store-write.js';
import type { JournalRecord } from '../src/ingest/source.js';
import { assertion, tempDir } from './helpers/ingest-fixtures.js';

function plainRow(row: unknown): unknown {
  if (row === undefined) return null;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(row as object)) out[k] = Buffer.isBuffer(v) ? new Uint8Array(v) : v;
  return out;
}

function runtimeLike(path: string): RawDatabase {
  const db = new Database(path);
  return {
    prepare(sql) {
      const s = db.prepare(sql);
      return {
        run: (...p) => s.run(...p),
        get: (...p) => (s.reader ? plainRow(s.get(...p)) : (s.run(...p), null)),
        all: (...p) => (s.reader ? s.all(...p).map(plainRow) : (s.run(...p), [])),
      };
    },
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

/** Runs `fn` on an adapter over a fresh file, then closes and removes it. */
function withCompat(file: string, fn: (db: CompatDatabase) => void): void {
  const tmp = tempDir();
  const db = new CompatDatabase(runtimeLike(tmp.file(file)));
  try {
    fn(db);
  } finally {
    db.close();
    tmp.remove();
  }
  assert.is(db.open, false);
}

function record(i: number, offset: number): JournalRecord {
  const payload = encodeAssertion(assertion(i));
  return { offset, next: offset + 40 + payload.length, payload, hash: blake3(payload) };
}

test('rows and plucked values: BLOBs as Buffer, a missing row as undefined, pragma simple and full', () => {
  withCompat('a.db', (db) => {
    db.exec('CREATE TABLE t (k BLOB PRIMARY KEY, v TEXT) WITHOUT ROWID');
    assert.is(db.prepare('INSERT INTO t VALUES (?, ?)').run(Buffer.from([1, 2]), 'x').changes, 1);
    const row = db.prepare('SELECT k, v FROM t').get() as { k: Buffer; v: string };
    assert.ok(Buffer.isBuffer(row.k), 'row BLOB is a Buffer');
    assert.is(row.k.toString('hex'), '0102');
    const k = db.prepare('SELECT k FROM t').pluck().get();
    assert.ok(Buffer.isBuffer(k), 'plucked BLOB is a Buffer');
    assert.ok(Buffer.isBuffer((db.prepare('SELECT k FROM t').pluck().all() as unknown[])[0]));
    assert.is(db.prepare('SELECT v FROM t WHERE v = ?').pluck().get('nope'), undefined);
    assert.is(db.prepare('SELECT v FROM t WHERE v = ?').get('nope'), undefined);
    assert.is(db.pragma('journal_mode = WAL', { simple: true }), 'wal');
    assert.equal(
      (db.pragma('user_version') as object[]).map((r) => ({ ...r })),
      [{ user_version: 0 }],
    );
  });
});

test('transactions: commit, rollback on throw, a nested one as a savepoint', () => {
  withCompat('t.db', (db) => {
    db.exec('CREATE TABLE n (x INTEGER)');
    const ins = db.prepare('INSERT INTO n VALUES (?)');
    const count = () => db.prepare('SELECT count(*) FROM n').pluck().get();
    assert.is(db.transaction((a: number, b: number) => (ins.run(a), ins.run(b), a + b)).immediate(1, 2), 3);
    assert.is(count(), 2);
    assert.throws(
      () =>
        db.transaction(
          () => (
            ins.run(3),
            (() => {
              throw new Error('boom');
            })()
          ),
        )(),
      /boom/,
    );
    assert.is(count(), 2, 'rolled back');
    const inner = db.transaction(
      () => (
        ins.run(4),
        (() => {
          throw new Error('inner');
        })()
      ),
    );
    db.transaction(() => {
      ins.run(5);
      assert.throws(() => inner(), /inner/);
    }).immediate();
    assert.equal(db.prepare('SELECT x FROM n ORDER BY x').pluck().all(), [1, 2, 5], 'the inner savepoint undone, the outer kept');
    db.exec('BEGIN'); // the adapter's own BEGIN would fail now: that error must surface
    assert.throws(() => db.transaction(() => 0)(), /within a transaction/);
    db.exec('ROLLBACK');
  });
});

test('the ingest write path over the adapter: schema, batch, replayed batch skipped, failed batch leaves no rows and no cursor', () => {
  withCompat('i.db', (db) => {
    db.pragma('journal_mode = WAL');
    migrate(db);
    assert.is(schemaVersion(db), SCHEMA_VERSION);
    const w = new BatchWriter(db);
    let off = 0;
    const recs = Array.from({ length: 5 }, (_, i) => {
      const r = record(i, off);
      off = r.next;
      return r;
    });
    assert.is(w.apply('c', recs.slice(0, 3)).assertions, 3);
    const again = w.apply('c', recs.slice(0, 3));
    assert.is(again.skipped, 3, 'a replay of applied records is skipped');
    assert.is(again.assertions, 0);
    db.exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON assertions WHEN NEW.offset = ${recs[4]!.offset} BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`);
    assert.throws(() => w.apply('c', recs.slice(3)), /simulated failure/);
    assert.is(w.cursor('c'), recs[2]!.next, 'cursor unchanged by the failed batch');
    assert.is(db.prepare('SELECT count(*) FROM assertions').pluck().get(), 3, 'no row of the failed batch');
    db.exec('DROP TRIGGER boom');
    assert.is(w.apply('c', recs.slice(3), true).assertions, 2);
    assert.is(w.syncCursor('c'), recs[4]!.next);
    const hash = db.prepare('SELECT hash FROM assertions ORDER BY offset').pluck().get();
    assert.ok(Buffer.isBuffer(hash) && hash.equals(Buffer.from(recs[0]!.hash)));
  });
});

test.run();
