// Node conventions of the public API: `await using` (Symbol.asyncDispose) on Journal,
// JournalReader and Store; { signal } on iterate()/follow() rejecting with an AbortError;
// unknown option keys refused; TypeError/RangeError carrying Node's ERR_* codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Journal,
  JournalReader,
  Store,
  Ingestor,
  recover,
  blake3,
  blake3Async,
  createHasher,
  crc32c,
  verifyFrames,
  hashFrames,
  encodeAssertion,
  AbortError,
} from '../src/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';

const { dir: root, cleanup } = tempDir('stemedb-conv-');
let n = 0;
const fresh = () => join(root, `j${n++}`);

function isAbortError(err: unknown): void {
  const e = err as { name?: string; code?: string };
  assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
  assert.is(e.name, 'AbortError');
  assert.is(e.code, 'ABORT_ERR');
}

async function rejects(p: Promise<unknown> | (() => Promise<unknown>), check: (err: unknown) => void): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    check(err);
    return;
  }
  assert.unreachable('expected a rejection');
}

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of it) count++;
  return count;
}

test('Symbol.asyncDispose is the one `await using` calls (Node registers it as nodejs.asyncDispose)', () => {
  assert.is(Symbol.asyncDispose, Symbol.for('nodejs.asyncDispose'));
  for (const C of [Journal, JournalReader, Store]) assert.type(C.prototype[Symbol.asyncDispose], 'function', C.name);
});

test('await using closes a Journal at the end of the scope (the lock is free again)', async () => {
  const dir = fresh();
  let escaped: Journal;
  {
    await using j = await Journal.open(dir);
    await j.append(payloadFor(1, 10));
    escaped = j;
    assert.is(j.closed, false);
  }
  assert.is(escaped.closed, true);
  await using again = await Journal.open(dir); // would be ELOCKED had the scope not closed the first
  assert.is(again.nextOffset, 50);
});

test('await using closes a JournalReader and a Store', async () => {
  const dir = fresh();
  {
    await using j = await Journal.open(dir);
    await j.append(payloadFor(2, 10));
  }
  let reader: JournalReader;
  let store: Store;
  {
    await using r = await Journal.openReader(dir);
    await using s = Store.open(':memory:');
    assert.is((await r.read(0))?.payload.length, 10);
    assert.is(s.open, true);
    reader = r;
    store = s;
  }
  assert.is(store.open, false);
  await rejects(
    () => reader.read(0),
    (err) => assert.is((err as { code?: string }).code, 'CLOSED'),
  );
});

test('close() returns a promise on Journal, JournalReader and Store, and stays idempotent', async () => {
  const dir = fresh();
  const j = await Journal.open(dir);
  const r = await Journal.openReader(dir);
  const s = Store.open(':memory:');
  for (const c of [j, r, s]) {
    const p = c.close();
    assert.instance(p, Promise);
    await p;
    await c.close();
  }
});

test('iterate({ signal }): an aborted signal rejects at once; an abort mid-way rejects the next step', async () => {
  const dir = fresh();
  await using j = await Journal.open(dir);
  await j.appendBatch(Array.from({ length: 20 }, (_, i) => payloadFor(i, 30)));
  await using r = await Journal.openReader(dir);
  for (const source of [j, r]) {
    const reason = new Error('stop');
    const ac = new AbortController();
    ac.abort(reason);
    const seen: number[] = [];
    await rejects(
      async () => {
        for await (const rec of source.iterate({ signal: ac.signal })) seen.push(rec.offset);
      },
      (err) => {
        isAbortError(err);
        assert.is((err as Error).cause, reason);
      },
    );
    assert.is(seen.length, 0, 'no record before the rejection');
    const mid = new AbortController();
    await rejects(async () => {
      for await (const rec of source.iterate({ signal: mid.signal })) {
        seen.push(rec.offset);
        if (seen.length === 5) mid.abort();
      }
    }, isAbortError);
    assert.is(seen.length, 5);
    assert.is(await drain(source.iterate({ signal: new AbortController().signal })), 20, 'a signal that never aborts changes nothing');
  }
});

test('follow({ signal }): abort while waiting wakes it and rejects; close() ends it quietly', async () => {
  const dir = fresh();
  const j = await Journal.open(dir);
  await j.append(payloadFor(3, 10));
  const reader = await Journal.openReader(dir, { pollMs: 10_000 }); // only the abort can wake it in time
  for (const source of [j, reader]) {
    const ac = new AbortController();
    let got = 0;
    const following = (async () => {
      for await (const _ of source.follow({ from: 0, signal: ac.signal })) got++;
    })();
    await new Promise((res) => setTimeout(res, 50)); // now waiting for more
    assert.is(got, 1);
    ac.abort();
    await rejects(following, isAbortError);
    const pre = new AbortController();
    pre.abort();
    await rejects(drain(source.follow({ signal: pre.signal })), isAbortError);
  }
  const quiet = drain(reader.follow({ from: 0 }));
  const quietWriter = drain(j.follow({ from: 0 }));
  await new Promise((res) => setTimeout(res, 50));
  await reader.close();
  await j.close();
  assert.is(await quiet, 1);
  assert.is(await quietWriter, 1);
});

test('Ingestor.waitFor({ signal }) rejects with an AbortError too', async () => {
  const dir = fresh();
  await using j = await Journal.open(dir);
  await using store = Store.open(':memory:');
  const ing = new Ingestor(j, store);
  ing.start();
  const ac = new AbortController();
  const waiting = ing.waitFor(1e12, { signal: ac.signal });
  ac.abort();
  await rejects(waiting, isAbortError);
  await ing.stop();
});

test("AbortError is exported and looks like Node's", () => {
  const e = new AbortError(undefined, { cause: 1 });
  isAbortError(e);
  assert.is(e.cause, 1);
});

// Each call gets one misspelt option; all must refuse it, naming the key.
const unknownKeyCalls: Array<[string, (dir: string) => unknown]> = [
  ['Journal.open', (d) => Journal.open(d, { durabilty: 'each' } as never)],
  ['Journal.openReader', (d) => Journal.openReader(d, { pollms: 5 } as never)],
  ['recover', (d) => recover(d, { dryrun: true } as never)],
  ['Store.open', () => Store.open(':memory:', { readOnly: true } as never)],
  ['blake3', () => blake3(new Uint8Array(1), { len: 64 } as never)],
  ['blake3Async', () => blake3Async(new Uint8Array(1), { len: 64 } as never)],
  ['createHasher', () => createHasher({ keys: new Uint8Array(32) } as never)],
  ['digest', () => createHasher().digest({ offset: 1 } as never)],
  ['verifyFrames', () => verifyFrames(new Uint8Array(0), { begin: 0 } as never)],
];

test('an unknown option key is a TypeError with code ERR_INVALID_ARG_VALUE naming the key', async () => {
  const dir = fresh();
  {
    await using _j = await Journal.open(dir);
  }
  const check = (what: string) => (err: unknown) => {
    assert.instance(err, TypeError, what);
    assert.is((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', what);
    assert.match((err as Error).message, /options(\.\w+)+ is not a known option/, what);
  };
  for (const [what, call] of unknownKeyCalls) {
    await rejects(async () => call(dir), check(what));
  }
  await using j = await Journal.open(dir);
  await using r = await Journal.openReader(dir);
  await using store = Store.open(':memory:');
  await rejects(drain(j.iterate({ form: 0 } as never)), check('Journal.iterate'));
  await rejects(async () => j.follow({ form: 0 } as never), check('Journal.follow'));
  await rejects(drain(r.iterate({ form: 0 } as never)), check('JournalReader.iterate'));
  await rejects(async () => r.follow({ form: 0 } as never), check('JournalReader.follow'));
  await rejects(async () => new Ingestor(j, store, { batchsize: 5 } as never), check('Ingestor'));
  await rejects(async () => new Ingestor(j, store, { cleanup: { retain: 1 } } as never), check('Ingestor cleanup'));
  await rejects(async () => store.assertionsBySubject('x', { limt: 1 } as never), check('assertionsBySubject'));
  await rejects(async () => store.tally(new Uint8Array(32), { per: 'all' } as never), check('tally'));
  await rejects(async () => store.deadLetters({ consumr: 'x' } as never), check('deadLetters'));
  await rejects(async () => store.applyBatch('c', [], { durabel: true } as never), check('applyBatch'));
});

test("bad arguments carry Node's codes: ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_INVALID_ARG_VALUE", async () => {
  const dir = fresh();
  await using j = await Journal.open(dir);
  await using store = Store.open(':memory:');
  const cases: Array<[string, () => unknown, 'TypeError' | 'RangeError', string]> = [
    ['crc32c("x")', () => crc32c('x' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['crc32c seed -1', () => crc32c(new Uint8Array(1), -1), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['blake3 length 0', () => blake3(new Uint8Array(1), { length: 0 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['blake3 key 3 bytes', () => blake3(new Uint8Array(1), { key: new Uint8Array(3) }), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['blake3 key and context', () => blake3(new Uint8Array(1), { key: new Uint8Array(32), context: 'c' }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['hashFrames lengths', () => hashFrames({ data: new Uint8Array(1), lengths: [1] as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['Journal.open(42)', () => Journal.open(42 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['Journal.open segmentBytes 5', () => Journal.open(fresh(), { segmentBytes: 5 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['Journal.open durability', () => Journal.open(fresh(), { durability: 'sometimes' as never }), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['Journal.open options "x"', () => Journal.open(fresh(), 'x' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['append("x")', () => j.append('x' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['appendBatch(1)', () => j.appendBatch(1 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['read(-1)', () => j.read(-1), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['iterate from "0"', () => drain(j.iterate({ from: '0' as never })), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['iterate signal {}', () => drain(j.iterate({ signal: {} as never })), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['cleanup(1.5)', () => j.cleanup(1.5), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['openReader maxRecordBytes -1', () => Journal.openReader(dir, { maxRecordBytes: -1 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['recover policy', () => recover(dir, { policy: 'maybe' as never }), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['Store.open(1)', () => Store.open(1 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['Store.open pageSize', () => Store.open(':memory:', { pageSize: 1000 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['Store.open timeout', () => Store.open(':memory:', { timeout: 'soon' as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['getAssertion hex', () => store.getAssertion('zz'), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['assertionsBySubject limit 0', () => store.assertionsBySubject('s', { limit: 0 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['Ingestor batchSize 0', () => new Ingestor(j, store, { batchSize: 0 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    [
      'encodeAssertion confidence 2',
      () => encodeAssertion({ subject: 's', predicate: 'p', object: 1, epoch: new Uint8Array(16), author: 'a', confidence: 2, createdAt: 0 }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    [
      'encodeAssertion subject 1',
      () => encodeAssertion({ subject: 1 as never, predicate: 'p', object: 1, epoch: new Uint8Array(16), author: 'a', confidence: 1, createdAt: 0 }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
    ],
  ];
  for (const [what, call, cls, code] of cases) {
    await rejects(
      async () => call(),
      (err) => {
        assert.is((err as Error).constructor.name, cls, what);
        assert.is((err as { code?: string }).code, code, what);
      },
    );
  }
});

test('no TypeError/RangeError in src/ is thrown without a code (new checks use argTypeError/argRangeError)', () => {
  const srcDir = join(fileURLToPath(new URL('..', import.meta.url)), 'src');
  const bare: string[] = [];
  for (const rel of readdirSync(srcDir, { recursive: true }) as string[]) {
    if (!rel.endsWith('.ts') || rel === 'validate.ts') continue;
    const lines = readFileSync(join(srcDir, rel), 'utf8').split('\n');
    lines.forEach((line, i) => {
      // The code may sit on one of the next lines once the formatter wraps the statement.
      const statement = lines.slice(i, i + 4).join(' ');
      if (/new (TypeError|RangeError)\(/.test(line) && !/code:/.test(statement)) bare.push(`src/${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(bare, [], `argument errors without a code:\n${bare.join('\n')}`);
});

test.after(() => cleanup());
test.run();
