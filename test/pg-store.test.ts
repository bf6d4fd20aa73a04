// PgStore against a real, throwaway PostgreSQL (test/helpers/pg-server.ts): the shared store
// contract, then what is PostgreSQL's own: migrations and the schema version, concurrent opens,
// bad URLs and refused connections, a server that goes away in the middle of a batch (typed
// error, nothing half-written, cursor not advanced, the Ingestor resumes after a restart).
// Without initdb/pg_ctl this file prints one `skipped: ...` line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { Ingestor, PgStore, PG_MIGRATIONS, PG_SCHEMA_VERSION, StoreError, encodeAssertion, encodeEpoch, encodeVote } from '../src/ingest/index.js';
import { FakeSource } from './helpers/ingest-fake-source.js';
import { EPOCH_A, assertion, epoch, vote } from './helpers/ingest-fixtures.js';
import { rejects } from './helpers/assert.js';
import { PgServer, skipWithoutPg } from './helpers/pg-server.js';
import { storeContract } from './helpers/store-contract.js';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, blake3 } from '../src/index.js';
import { tempDir } from './helpers/ingest-fixtures.js';

const cliMain = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.ts');
function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cliMain, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

if (skipWithoutPg('pg-store.test.ts')) {
  test.run();
} else {
  const server = await PgServer.start();
  const tmpDir = tempDir('stemedb-pgcli-');
  const open: PgStore[] = [];
  let n = 0;
  const freshUrl = () => server.database(`t${n++}`);
  const newStore = async () => {
    const s = await PgStore.open(await freshUrl());
    open.push(s);
    return s;
  };
  const isStoreError = (code: string) => (e: Error & { code?: string }) => e instanceof StoreError && e.code === code;

  storeContract('PostgreSQL', { newStore, done: async () => undefined });

  test.after(async () => {
    for (const s of open) await s.close().catch(() => undefined);
    server.stop();
    tmpDir.remove();
  });

  test('a new database gets every table and the current schema version; reopening is a no-op', async () => {
    const url = await freshUrl();
    const s = await PgStore.open(url);
    open.push(s);
    assert.is(await s.schemaVersion(), PG_SCHEMA_VERSION);
    const tables = await s.pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    assert.equal(
      tables.rows.map((r) => r.tablename),
      ['assertions', 'dead_letters', 'epochs', 'ingest_cursors', 'stemedb_schema', 'votes'],
    );
    const indexes = await s.pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'assertions' AND indexname LIKE 'assertions_by_%' ORDER BY 1`);
    assert.equal(
      indexes.rows.map((r) => r.indexname),
      ['assertions_by_epoch', 'assertions_by_subject'],
    );
    const again = await PgStore.open(url);
    open.push(again);
    assert.is(await again.schemaVersion(), PG_SCHEMA_VERSION);
  });

  test('a version-2 database migrates to journal ids: old cursors read the default journal, cleanup floors per journal', async () => {
    const url = await freshUrl();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `CREATE TABLE stemedb_schema (version integer NOT NULL); INSERT INTO stemedb_schema VALUES (2); ${PG_MIGRATIONS[0]!.sql}; ${PG_MIGRATIONS[1]!.sql}`,
    );
    await c.query(`INSERT INTO ingest_cursors (consumer, next_offset, updated_at) VALUES ('old-a', 500, 0), ('old-b', 40, 0)`);
    await c.end();
    const s = await PgStore.open(url);
    open.push(s);
    assert.is(await s.schemaVersion(), PG_SCHEMA_VERSION);
    assert.equal(
      (await s.cursors()).map((x) => [x.consumer, x.journal, x.next]),
      [
        ['old-a', 'default', 500],
        ['old-b', 'default', 40],
      ],
    );
    assert.equal(await s.syncCleanupFloor('old-a'), { consumer: 'old-b', next: 40, journal: 'default' }, 'as before the migration: one journal');
    // old-a's ingestor now names its journal: the cursor adopts it and stops waiting for old-b.
    await s.applyBatch('old-a', [], { journal: 'A' });
    assert.equal(await s.syncCleanupFloor('old-a'), { consumer: 'old-a', next: 500, journal: 'A' });
    assert.equal(await s.syncCleanupFloor('old-b'), { consumer: 'old-b', next: 40, journal: 'default' });
  });

  test('three processes worth of concurrent opens on an empty database migrate it exactly once', async () => {
    const url = await freshUrl();
    const stores = await Promise.all([1, 2, 3].map(() => PgStore.open(url)));
    open.push(...stores);
    const r = await stores[0]!.pool.query('SELECT count(*)::int AS n, max(version) AS v FROM stemedb_schema');
    assert.equal(r.rows[0], { n: 1, v: PG_SCHEMA_VERSION });
  });

  test('refuses a database from a newer schema with SCHEMA_TOO_NEW, changing nothing', async () => {
    const url = await freshUrl();
    const s = await PgStore.open(url);
    await s.pool.query('UPDATE stemedb_schema SET version = 99; DROP TABLE votes');
    await s.close();
    await rejects(() => PgStore.open(url), isStoreError('SCHEMA_TOO_NEW'));
    await rejects(() => PgStore.open(url, { readonly: true }), isStoreError('SCHEMA_TOO_NEW'));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const v = await c.query(`SELECT version, to_regclass('votes')::text AS votes FROM stemedb_schema`);
    await c.end();
    assert.equal(v.rows[0], { version: 99, votes: null }, 'no migration step ran');
  });

  test('readonly: an unmigrated database is SCHEMA_TOO_OLD; a readonly store refuses writes', async () => {
    const url = await freshUrl();
    await rejects(() => PgStore.open(url, { readonly: true }), isStoreError('SCHEMA_TOO_OLD'));
    open.push(await PgStore.open(url));
    const ro = await PgStore.open(url, { readonly: true });
    open.push(ro);
    assert.is(await ro.cursor('default'), undefined);
    await rejects(() => ro.applyBatch('default', []), /readonly/);
    const src = await FakeSource.create();
    assert.throws(() => new Ingestor(src, ro), /readonly/);
  });

  test('bad URLs are TypeErrors; a wrong database, a refused port, a missing socket are CONNECT_FAILED', async () => {
    await rejects(() => PgStore.open('not a url'), TypeError);
    await rejects(() => PgStore.open('http://localhost/db'), TypeError);
    await rejects(() => PgStore.open(5 as unknown as string), TypeError);
    await rejects(() => PgStore.open('postgres://localhost/db', { poolsize: 2 } as never), TypeError); // unknown option key
    await rejects(() => PgStore.open('postgres://localhost/db', { poolSize: 0 }), RangeError);
    await rejects(() => PgStore.open(server.url, { poolSize: 0 }), RangeError);
    await rejects(() => PgStore.open(server.url.replace(/\/postgres$/, '/no_such_db')), isStoreError('CONNECT_FAILED'));
    const refused = await rejects(() => PgStore.open('postgres://stemedb@127.0.0.1:1/postgres'), isStoreError('CONNECT_FAILED'));
    assert.match(refused.message, /127\.0\.0\.1:1/);
    await rejects(() => PgStore.open('postgres://stemedb@%2Fnonexistent%2Fdir/postgres', { connectTimeoutMs: 2000 }), isStoreError('CONNECT_FAILED'));
    const withPassword = await rejects(() => PgStore.open('postgres://stemedb:s3cret@127.0.0.1:1/postgres'));
    assert.not.match(withPassword.message, /s3cret/, 'the password is not in the message');
  });

  test('a batch larger than one statement (8192 rows): every row once, counts right, array-literal quoting round-trips', async () => {
    const s = await newStore();
    const src = await FakeSource.create();
    const tricky = ['a"b', 'back\\slash', '{x,y}', 'NULL', ' spaced ', 'ütf-8 ✓', ',', '\\x00'];
    const payloads = Array.from({ length: 20_000 }, (_, k) =>
      encodeAssertion(assertion(k % 17_000, { subject: tricky[k % tricky.length]!, object: k % 3 === 0 ? tricky[k % 5]! : k })),
    );
    const recs = src.appendAll(payloads);
    const r = await s.applyBatch('default', recs);
    assert.equal([r.assertions + r.duplicates, r.cursor], [20_000, recs.at(-1)!.next]);
    assert.is((await s.counts()).assertions, r.assertions);
    for (const k of [0, 1, 2, 3, 8191, 8192, 16_999]) {
      const got = (await s.getAssertion(recs[k]!.hash))!;
      assert.is(got.subject, tricky[k % tricky.length]);
      assert.is(got.object, k % 3 === 0 ? tricky[k % 5]! : k);
    }
    assert.is((await s.applyBatch('other', recs)).assertions, 0, 'a replay under another consumer inserts nothing');
  });

  test('a text field holding U+0000 is a NUL_IN_TEXT dead letter, not a failed batch', async () => {
    const s = await newStore();
    const src = await FakeSource.create();
    const recs = src.appendAll([
      encodeAssertion(assertion(1, { subject: 'a\0b' })),
      encodeAssertion(assertion(2)),
      encodeVote(vote(new Uint8Array(32), 1, { voter: '\0' })),
    ]);
    const r = await s.applyBatch('default', recs);
    assert.equal([r.assertions, r.deadLetters, r.cursor], [1, 2, recs[2]!.next]);
    assert.equal(
      (await s.deadLetters()).map((d) => d.code),
      ['NUL_IN_TEXT', 'NUL_IN_TEXT'],
    );
  });

  /** Runs `work` until its batch transaction waits on a row lock held by another session, then stops the server. */
  async function killServerMidBatch(url: string, conflictingVote: { assertion: Uint8Array; hash: Uint8Array }, work: () => Promise<unknown>): Promise<unknown> {
    const blocker = new pg.Client({ connectionString: url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO votes VALUES ($1, $2, 'blocker', 1, 1, 0, 0)`, [
      Buffer.from(conflictingVote.assertion),
      Buffer.from(conflictingVote.hash),
    ]);
    const outcome = work().then(
      () => undefined,
      (e: unknown) => e,
    );
    // The batch has inserted its epochs and assertions and now waits on the blocker's vote row.
    for (let i = 0; ; i++) {
      const w = await blocker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`);
      if (w.rows[0].n > 0) break;
      if (i > 500) throw new Error('the batch never blocked');
      await new Promise((r) => setTimeout(r, 10));
    }
    server.stopServer('immediate');
    const err = await outcome;
    server.restartServer();
    return err;
  }

  test('the server going away mid-batch: CONNECTION_LOST, nothing half-written, cursor not advanced; the Ingestor resumes after a restart', async () => {
    const url = await freshUrl();
    const s = await PgStore.open(url);
    open.push(s);
    const src = await FakeSource.create();
    const recs = src.appendAll([encodeEpoch(epoch(EPOCH_A)), ...[1, 2, 3].map((i) => encodeAssertion(assertion(i)))]);
    const target = recs[1]!.hash;
    const v = src.append(encodeVote(vote(target, 1)));

    const err = await killServerMidBatch(url, { assertion: target, hash: v.hash }, () => s.applyBatch('default', [...recs, v]));
    assert.instance(err, StoreError);
    assert.is((err as StoreError).code, 'CONNECTION_LOST');
    assert.equal(await s.counts(), { assertions: 0, votes: 0, epochs: 0, deadLetters: 0 }, 'nothing of the batch stayed (and the pool reconnected)');
    assert.is(await s.cursor('default'), undefined);

    // The Ingestor: the same in catchUp(); it stops with the error, then a second catchUp() finishes.
    const errors: unknown[] = [];
    const ing = new Ingestor(src, s, { onError: (e) => errors.push(e) });
    const err2 = await killServerMidBatch(url, { assertion: target, hash: v.hash }, () => ing.catchUp());
    assert.is((err2 as StoreError).code, 'CONNECTION_LOST');
    assert.is(await s.cursor('default'), undefined);
    assert.is(ing.cursor, recs[0]!.offset);
    const more = src.append(encodeAssertion(assertion(4)));
    const stats = await ing.catchUp();
    assert.equal([stats.assertions, stats.epochs, stats.votes, stats.cursor], [4, 1, 1, more.next]);
    assert.equal(await s.counts(), { assertions: 4, votes: 1, epochs: 1, deadLetters: 0 });
    assert.is(await s.cursor('default'), more.next);
  });

  test('a stopped server: calls fail with a typed StoreError, then work again once it is back', async () => {
    const s = await newStore();
    const src = await FakeSource.create();
    server.stopServer('fast');
    try {
      const e = await rejects(
        () => s.applyBatch('default', src.appendAll([encodeAssertion(assertion(1))])),
        (x) => x instanceof StoreError,
      );
      assert.ok(['CONNECT_FAILED', 'CONNECTION_LOST'].includes(e.code!), e.code);
      await rejects(
        () => s.cursor('default'),
        (x) => x instanceof StoreError,
      );
    } finally {
      server.restartServer();
    }
    const r = await s.applyBatch('default', src.records);
    assert.is(r.assertions, 1);
  });

  test('a server restart while the pool sits idle: the stale connections are replaced, the next read and the next batch succeed', async () => {
    const s = await newStore();
    const src = await FakeSource.create();
    const restartUnderIdleConnections = async () => {
      await Promise.all([s.cursor('a'), s.cursor('b'), s.cursor('c'), s.counts()]);
      assert.ok(s.pool.idleCount >= 2, `idle connections: ${s.pool.idleCount}`);
      server.stopServer('immediate');
      server.restartServer();
    };
    await restartUnderIdleConnections();
    assert.is(await s.cursor('default'), undefined, 'the first call after the restart is a read');

    await restartUnderIdleConnections();
    const recs = src.appendAll([encodeAssertion(assertion(1))]);
    const r = await s.applyBatch('default', recs); // the first call after the restart is a transaction
    assert.equal([r.assertions, r.cursor], [1, recs[0]!.next]);
    assert.is(await s.cursor('default'), recs[0]!.next);
  });

  test('CLI: stemedb ingest <dir> --db postgres://... then query against it; a refused server is exit 3 with the reason', async () => {
    const url = await freshUrl();
    const dir = tmpDir.file('wal');
    const j = await Journal.open(dir);
    const payloads = [1, 2, 3].map((i) => encodeAssertion(assertion(i, { subject: 'cli-subject' })));
    await j.appendBatch(payloads);
    await j.close();
    const ing = cli(['ingest', dir, '--db', url, '--consumer', 'cli', '--json']);
    assert.is(ing.code, 0, ing.err);
    assert.is(JSON.parse(ing.out.trim().split('\n').at(-1)!).assertions, 3);
    const again = cli(['ingest', dir, '--db', url, '--consumer', 'cli', '--json']);
    assert.is(JSON.parse(again.out.trim().split('\n').at(-1)!).records, 0, 'the cursor was stored: nothing twice');
    const q = cli(['query', '--db', url, '--subject', 'cli-subject', '--json']);
    assert.is(q.code, 0, q.err);
    assert.is(q.out.trim().split('\n').length, 3);
    const h = Buffer.from(blake3(payloads[0]!)).toString('hex');
    const one = cli(['query', '--db', url, '--hash', h, '--json']);
    assert.is(JSON.parse(one.out).hash, h);
    const refused = cli(['query', '--db', 'postgres://stemedb@127.0.0.1:1/postgres', '--subject', 'x']);
    assert.is(refused.code, 3);
    assert.match(refused.err, /cannot connect/);
  });

  test.run();
}
