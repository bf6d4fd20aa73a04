/**
 * The store contract: one suite of query and batch-write behaviour that every
 * ingest store must pass, run against the SQLite Store
 * (test/ingest-store-contract.test.ts) and PgStore (test/pg-store.test.ts).
 * Every call is awaited, so a sync and an async store run the same code.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeAssertion, encodeEpoch, encodeVote, type Assertion, type JournalRecord, type PgStore, type Store } from '../../src/ingest/index.js';
import { FakeSource } from './ingest-fake-source.js';
import { EPOCH_A, EPOCH_B, T0, assertion, epoch, hex, plain, vote } from './ingest-fixtures.js';
import { rejects } from './assert.js';

export type AnyStore = Store | PgStore;

export interface ContractHooks {
  /** A fresh, empty, migrated store. */
  newStore(): Promise<AnyStore>;
  /** Called once at the end (close stores, remove files). */
  done(): Promise<void>;
}

export function storeContract(name: string, hooks: ContractHooks): void {
  const test = suite(`store contract: ${name}`);
  let src: FakeSource;
  test.before(async () => {
    src = await FakeSource.create();
  });
  test.after(() => hooks.done());

  /** Appends payloads to the fake journal and applies them to the store in one batch. */
  async function ingest(store: AnyStore, payloads: Uint8Array[], consumer = 'default'): Promise<JournalRecord[]> {
    const recs = src.appendAll(payloads);
    await store.applyBatch(consumer, recs);
    return recs;
  }

  test('getAssertion returns every field; hex and bytes keys; unknown -> null', async () => {
    const s = await hooks.newStore();
    const objects: Assertion['object'][] = ['text', 12, -0.25, true, false, new Uint8Array([1, 2, 3]), '', 1e300, 0.1 + 0.2, -7];
    const as = objects.map((object, i) => assertion(i, { object, evidence: i === 0 ? ['ev1', 'ev2'] : undefined, confidence: i / 11 }));
    const recs = await ingest(s, as.map(encodeAssertion));
    for (let i = 0; i < as.length; i++) {
      const got = (await s.getAssertion(recs[i]!.hash))!;
      const { hash, offset, ...fields } = got;
      assert.equal(plain(fields), plain(as[i]));
      assert.is(typeof got.object, typeof as[i]!.object);
      assert.is(hex(hash), hex(recs[i]!.hash));
      assert.is(offset, recs[i]!.offset);
      assert.equal(plain(await s.getAssertion(hex(recs[i]!.hash))), plain(got), 'hex key');
      assert.equal(plain(await s.getAssertion(hex(recs[i]!.hash).toUpperCase())), plain(got), 'upper-case hex key');
    }
    assert.is(await s.getAssertion(new Uint8Array(32)), null);
    await rejects(async () => s.getAssertion(new Uint8Array(31)), RangeError);
    await rejects(async () => s.getAssertion('abc'), RangeError);
    await rejects(async () => s.getAssertion('zz'.repeat(32)), RangeError);
    await rejects(async () => s.getAssertion(5 as unknown as string), TypeError);
  });

  test('assertionsBySubject lists every assertion, keyset-paginated in (createdAt, hash) order', async () => {
    const s = await hooks.newStore();
    const total = 257;
    // Many share a createdAt, so the hash tie-break matters; another subject is interleaved.
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < total; i++) {
      payloads.push(encodeAssertion(assertion(i, { subject: 'hot', createdAt: T0 + (i % 10), object: i })));
      if (i % 3 === 0) payloads.push(encodeAssertion(assertion(i, { subject: 'other' })));
    }
    await ingest(s, payloads.reverse());
    const all = await s.assertionsBySubject('hot', { limit: 10_000 });
    assert.is(all.length, total);
    const sorted = [...all].sort((x, y) => x.createdAt - y.createdAt || Buffer.compare(x.hash, y.hash));
    assert.equal(
      all.map((a) => hex(a.hash)),
      sorted.map((a) => hex(a.hash)),
    );
    for (const limit of [1, 7, 100, 256, 257, 1000]) {
      const seen: string[] = [];
      let after: Uint8Array | undefined;
      for (;;) {
        const page = await s.assertionsBySubject('hot', { limit, after });
        assert.ok(page.length <= limit);
        seen.push(...page.map((a) => hex(a.hash)));
        if (page.length < limit) break;
        after = page[page.length - 1]!.hash;
      }
      assert.equal(
        seen,
        all.map((a) => hex(a.hash)),
        `limit ${limit}`,
      );
    }
    assert.is((await s.assertionsBySubject('hot')).length, 100, 'default limit');
    assert.equal(await s.assertionsBySubject('nobody'), []);
    assert.is((await s.assertionsBySubject('other', { limit: 1000 })).length, 86);
    const otherHash = (await s.assertionsBySubject('other', { limit: 1 }))[0]!.hash;
    await rejects(async () => s.assertionsBySubject('hot', { after: otherHash }), /no assertion with that hash about subject/);
    await rejects(async () => s.assertionsBySubject('hot', { limit: 0 }), RangeError);
    await rejects(async () => s.assertionsBySubject('hot', { limit: 1.5 }), RangeError);
  });

  test('assertionsInEpoch paginates by epoch', async () => {
    const s = await hooks.newStore();
    const payloads = [];
    for (let i = 0; i < 30; i++) payloads.push(encodeAssertion(assertion(i, { epoch: i % 3 === 0 ? EPOCH_B : EPOCH_A })));
    await ingest(s, payloads);
    assert.is((await s.assertionsInEpoch(EPOCH_A, { limit: 100 })).length, 20);
    const first = await s.assertionsInEpoch(hex(EPOCH_B), { limit: 4 });
    assert.is(first.length, 4);
    const rest = await s.assertionsInEpoch(EPOCH_B, { limit: 100, after: first[3]!.hash });
    assert.is(rest.length, 6);
    assert.ok(rest.every((a) => hex(a.epoch) === hex(EPOCH_B)));
    assert.equal(await s.assertionsInEpoch(new Uint8Array(16)), []);
    await rejects(async () => s.assertionsInEpoch(new Uint8Array(15)), RangeError);
  });

  test('votesFor and tally (weighted; perVoter latest); null until the assertion exists', async () => {
    const s = await hooks.newStore();
    const [target] = await ingest(s, [encodeAssertion(assertion(1))]);
    const h = target!.hash;
    await ingest(s, [
      encodeVote(vote(h, 1, { voter: 'ann', stance: 1, weight: 2 })),
      encodeVote(vote(h, 2, { voter: 'bob', stance: -1, weight: 0.5 })),
      encodeVote(vote(h, 3, { voter: 'cy', stance: 1, weight: 1.25 })),
      encodeVote(vote(h, 4, { voter: 'ann', stance: -1, weight: 3 })), // ann changes her mind
    ]);
    const votes = await s.votesFor(h);
    assert.equal(
      votes.map((v) => [v.voter, v.stance, v.weight]),
      [
        ['ann', 1, 2],
        ['bob', -1, 0.5],
        ['cy', 1, 1.25],
        ['ann', -1, 3],
      ],
    );
    assert.equal(await s.tally(h), { support: 3.25, oppose: 3.5, score: -0.25, votes: 4 });
    assert.equal(await s.tally(hex(h), { perVoter: 'latest' }), { support: 1.25, oppose: 3.5, score: -2.25, votes: 3 });
    const [lonely] = await ingest(s, [encodeAssertion(assertion(2))]);
    assert.equal(await s.tally(lonely!.hash), { support: 0, oppose: 0, score: 0, votes: 0 });
    const ghost = new Uint8Array(32).fill(9);
    await ingest(s, [encodeVote(vote(ghost, 1))]);
    assert.is((await s.votesFor(ghost)).length, 1, 'orphan vote is kept');
    assert.is(await s.tally(ghost), null, 'not counted while its assertion is missing');
    await rejects(async () => s.tally(h, { perVoter: 'first' as 'all' }), RangeError);
  });

  test('getEpoch with and without parent', async () => {
    const s = await hooks.newStore();
    const [ra, rb] = await ingest(s, [encodeEpoch(epoch(EPOCH_A)), encodeEpoch(epoch(EPOCH_B, { name: 'next', parent: EPOCH_A }))]);
    const a = (await s.getEpoch(EPOCH_A))!;
    assert.equal(plain({ ...a, hash: undefined, offset: undefined }), plain(epoch(EPOCH_A)));
    assert.is(a.parent, undefined);
    assert.is(hex(a.hash), hex(ra!.hash));
    const b = (await s.getEpoch(hex(EPOCH_B)))!;
    assert.is(hex(b.parent!), hex(EPOCH_A));
    assert.is(b.offset, rb!.offset);
    assert.is(await s.getEpoch(new Uint8Array(16)), null);
  });

  test('applyBatch: cursor, duplicates, dead letters, epoch conflicts, counts', async () => {
    const s = await hooks.newStore();
    assert.is(await s.cursor('default'), undefined);
    const good = encodeAssertion(assertion(1));
    const recs = src.appendAll([
      good,
      good,
      Uint8Array.from([9, 0, 0, 0, 0, 0, 0, 0, 0x90]),
      encodeEpoch(epoch()),
      encodeEpoch(epoch(EPOCH_A, { name: 'other' })),
    ]);
    const r = await s.applyBatch('default', recs);
    assert.equal({ ...r }, { records: 5, assertions: 1, votes: 0, epochs: 1, duplicates: 1, deadLetters: 2, skipped: 0, cursor: recs[4]!.next });
    assert.is(await s.cursor('default'), recs[4]!.next);
    const dead = await s.deadLetters();
    assert.equal(
      dead.map((d) => [d.offset, d.code]),
      [
        [recs[2]!.offset, 'UNKNOWN_TYPE'],
        [recs[4]!.offset, 'EPOCH_CONFLICT'],
      ],
    );
    assert.is(hex(dead[0]!.payload), hex(recs[2]!.payload));
    assert.is(hex(dead[0]!.hash), hex(recs[2]!.hash));
    assert.match(dead[1]!.reason, /already defined/);
    assert.is((await s.getEpoch(EPOCH_A))!.name, 'modern physics', 'first definition wins');
    assert.equal(
      (await s.deadLetters({ after: recs[2]!.offset })).map((d) => d.code),
      ['EPOCH_CONFLICT'],
    );
    assert.equal(await s.counts(), { assertions: 1, votes: 0, epochs: 1, deadLetters: 2 });

    // Re-applying the same batch (a replay) changes nothing.
    const again = await s.applyBatch('default', recs);
    assert.is(again.skipped, 5);
    assert.equal(await s.counts(), { assertions: 1, votes: 0, epochs: 1, deadLetters: 2 });

    // Another consumer has its own cursor; rows collapse by hash.
    const other = await s.applyBatch('mirror', recs);
    assert.is(other.duplicates, 3);
    assert.is(await s.cursor('mirror'), recs[4]!.next);
    assert.equal(
      (await s.cursors()).map((c) => c.consumer),
      ['default', 'mirror'],
    );
    assert.is((await s.deadLetters({ consumer: 'mirror' })).length, 2);
  });

  test('applyBatch: a batch overlapping the stored cursor applies only the new records', async () => {
    const s = await hooks.newStore();
    const recs = src.appendAll([1, 2, 3, 4].map((i) => encodeAssertion(assertion(i))));
    await s.applyBatch('default', recs.slice(0, 2));
    const r = await s.applyBatch('default', recs);
    assert.equal([r.skipped, r.assertions, r.cursor], [2, 2, recs[3]!.next]);
    assert.is((await s.counts()).assertions, 4);
  });

  test('applyBatch: invalid UTF-8 or a 64-bit integer beyond 2^53 is a MALFORMED dead letter, never a changed row', async () => {
    const s = await hooks.newStore();
    const badText = Buffer.from(encodeAssertion(assertion(1, { subject: 'abcdef' })));
    badText[badText.indexOf('abcdef') + 2] = 0xff;
    const bigTime = Buffer.from(encodeVote(vote(new Uint8Array(32), 1, { createdAt: 7 })));
    // createdAt 7 is the last byte (a fixint): widen it to a uint 64 of 2^53 + 1.
    const big = Buffer.alloc(9);
    big[0] = 0xcf;
    big.writeBigUint64BE(2n ** 53n + 1n, 1);
    const recs = src.appendAll([badText, Buffer.concat([bigTime.subarray(0, bigTime.length - 1), big])]);
    const r = await s.applyBatch('default', recs);
    assert.is(r.deadLetters, 2);
    assert.equal(await s.counts(), { assertions: 0, votes: 0, epochs: 0, deadLetters: 2 });
    const dead = await s.deadLetters();
    assert.equal(
      dead.map((d) => d.code),
      ['MALFORMED', 'MALFORMED'],
    );
    assert.match(dead[0]!.reason, /UTF-8/);
    assert.match(dead[1]!.reason, /integer/);
    for (let i = 0; i < 2; i++) assert.is(hex(dead[i]!.payload), hex(recs[i]!.payload), 'kept byte for byte');
  });

  test('applyBatch rejects a source that breaks its contract, atomically', async () => {
    const s = await hooks.newStore();
    const [a, b] = src.appendAll([encodeAssertion(assertion(1)), encodeAssertion(assertion(2))]);
    await rejects(async () => s.applyBatch('default', [a!, { ...b!, hash: new Uint8Array(16) }]), /malformed/);
    await rejects(async () => s.applyBatch('default', [b!, a!]), /out of order/);
    assert.equal((await s.counts()).assertions, 0, 'nothing of a failed batch stays');
    assert.is(await s.cursor('default'), undefined);
  });

  test('syncCursor and applyBatch durable mark the cursor synced', async () => {
    const s = await hooks.newStore();
    assert.is(await s.syncCursor('default'), undefined);
    const recs = await ingest(s, [encodeAssertion(assertion(1))]);
    assert.is((await s.cursors())[0]!.synced, 0);
    assert.is(await s.syncCursor('default'), recs[0]!.next);
    assert.is((await s.cursors())[0]!.synced, recs[0]!.next);
    const r = await s.applyBatch('default', src.appendAll([encodeAssertion(assertion(2))]), { durable: true });
    assert.is((await s.cursors())[0]!.synced, r.cursor);
  });

  test('syncCleanupFloor: a synced commit, then the slowest cursor of every consumer of the journal', async () => {
    const s = await hooks.newStore();
    const recs = src.appendAll([encodeAssertion(assertion(1)), encodeAssertion(assertion(2)), encodeAssertion(assertion(3))]);
    assert.is(await s.syncCleanupFloor('fast'), undefined, 'no cursor yet');
    await s.applyBatch('fast', recs);
    assert.equal(await s.syncCleanupFloor('fast'), { consumer: 'fast', next: recs[2]!.next, journal: 'default' }, 'alone, it is its own floor');
    await s.applyBatch('slow', recs.slice(0, 1));
    await s.applyBatch('also-slow', recs.slice(0, 1));
    assert.equal(await s.syncCleanupFloor('fast'), { consumer: 'also-slow', next: recs[0]!.next, journal: 'default' });
    assert.is((await s.cursors()).find((c) => c.consumer === 'fast')!.synced, recs[2]!.next, "and the caller's cursor is marked synced");
  });

  test('syncCleanupFloor is per journal: a stopped consumer of journal B holds back B only', async () => {
    const s = await hooks.newStore();
    // Offsets of two journals: B's consumer is far behind, at an offset far below A's.
    const a = src.appendAll([encodeAssertion(assertion(11)), encodeAssertion(assertion(12)), encodeAssertion(assertion(13))]);
    await s.applyBatch('a-main', a, { journal: 'A' });
    await s.applyBatch('a-mirror', a.slice(0, 2), { journal: 'A' });
    await s.applyBatch('b-main', a, { journal: 'B' }); // same offsets, another journal: meaningless to A
    await s.applyBatch('b-stopped', a.slice(0, 1), { journal: 'B' });
    await s.applyBatch('unnamed', a.slice(0, 1));
    assert.equal(await s.syncCleanupFloor('a-main'), { consumer: 'a-mirror', next: a[1]!.next, journal: 'A' }, "A's floor: A's slowest, not B's");
    assert.equal(await s.syncCleanupFloor('b-main'), { consumer: 'b-stopped', next: a[0]!.next, journal: 'B' }, "B's stopped consumer still holds B");
    assert.equal(await s.syncCleanupFloor('unnamed'), { consumer: 'unnamed', next: a[0]!.next, journal: 'default' });
    assert.equal(
      (await s.cursors()).map((c) => [c.consumer, c.journal]),
      [
        ['a-main', 'A'],
        ['a-mirror', 'A'],
        ['b-main', 'B'],
        ['b-stopped', 'B'],
        ['unnamed', 'default'],
      ],
    );
  });

  test("a consumer's journal: 'default' adopts a name; another name is JOURNAL_MISMATCH, atomically", async () => {
    const s = await hooks.newStore();
    const recs = src.appendAll([encodeAssertion(assertion(21)), encodeAssertion(assertion(22)), encodeAssertion(assertion(23))]);
    await s.applyBatch('c', recs.slice(0, 1));
    assert.is((await s.cursors())[0]!.journal, 'default');
    // A replay of applied records only (no cursor move) still records the adopted name.
    await s.applyBatch('c', recs.slice(0, 1), { journal: 'X' });
    assert.equal(
      (await s.cursors()).map((c) => [c.journal, c.next]),
      [['X', recs[0]!.next]],
    );
    const err = await rejects(
      async () => s.applyBatch('c', recs.slice(1), { journal: 'Y' }),
      (e: Error & { code?: string }) => e.code === 'JOURNAL_MISMATCH',
    );
    assert.match(err.message, /"c" reads journal "X", not "Y"/);
    await rejects(
      async () => s.applyBatch('c', recs.slice(1)),
      (e: Error & { code?: string }) => e.code === 'JOURNAL_MISMATCH',
    );
    assert.equal((await s.counts()).assertions, 1, 'nothing of a refused batch stays');
    assert.equal(
      (await s.cursors()).map((c) => [c.journal, c.next]),
      [['X', recs[0]!.next]],
    );
    await rejects(async () => s.applyBatch('c', recs.slice(1), { journal: '' }), TypeError);
    await rejects(async () => s.applyBatch('c', recs.slice(1), { journal: 7 as unknown as string }), TypeError);
    await rejects(async () => s.applyBatch('c', recs.slice(1), { jornal: 'X' } as never), TypeError);
  });

  test.run();
}
