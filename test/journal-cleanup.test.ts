// @both-backends — cleanup(cursor): refuses cursors past the end or inside a record; an abandoned iterator does not block it forever; it says what it kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function journalOf(dir: string, records: number) {
  const j = await Journal.open(dir, { segmentBytes: 1024 });
  const acked = [];
  for (let i = 0; i < records; i++) acked.push(await j.append(payloadFor(i, 200)));
  assert.ok(j.stats().segments > 10);
  return { j, acked };
}

const wals = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wal')).length;

test('cleanup past nextOffset is a RangeError and deletes nothing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { j } = await journalOf(dir, 60);
    const before = wals(dir);
    await rejects(j.cleanup(Number.MAX_SAFE_INTEGER), (e) => e instanceof RangeError && /beyond the end/.test(e.message));
    await rejects(j.cleanup(j.nextOffset + 1), (e) => e instanceof RangeError);
    assert.is(wals(dir), before);
    const removed = await j.cleanup(j.nextOffset); // the end itself is a consumer's position
    assert.is(removed.length, before - 1);
    await j.close();
  } finally {
    cleanup();
  }
});

test('cleanup at an offset inside a record is a RangeError; at a record boundary it works', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { j, acked } = await journalOf(dir, 60);
    const before = wals(dir);
    await rejects(j.cleanup(acked[20]!.offset + 7), (e) => e instanceof RangeError && /not a record boundary/.test(e.message));
    assert.is(wals(dir), before);
    const removed = await j.cleanup(acked[20]!.offset);
    assert.ok(removed.length > 0);
    assert.equal(removed.kept, []);
    assert.equal((await j.read(acked[20]!.offset))!.offset, acked[20]!.offset);
    await j.close();
  } finally {
    cleanup();
  }
});

test('cleanup reports the segments it kept below the cursor and why', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { j, acked } = await journalOf(dir, 60);
    const it = j.iterate({ from: acked[5]!.offset });
    await it.next(); // now reading the segment of record 5
    const res = await j.cleanup(j.nextOffset);
    assert.ok(res.kept.length > 1);
    assert.is(res.kept[0]!.reason, 'being read by an iterator');
    assert.ok(res.kept.slice(1, -1).every((k) => k.reason === 'after a segment being read'));
    assert.is(res.kept[res.kept.length - 1]!.reason, 'active segment');
    await it.return(undefined);
    const res2 = await j.cleanup(j.nextOffset);
    assert.ok(res2.length > 0);
    assert.equal(
      res2.kept.map((k) => k.reason),
      ['active segment'],
    );
    await j.close();
  } finally {
    cleanup();
  }
});

test('an abandoned iterator (never finished, never returned) stops pinning its segment once collected', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { j } = await journalOf(dir, 60);
    await (async () => {
      const it = j.iterate();
      await it.next(); // pins the first segment, then is dropped
    })();
    let removed: string[] = [];
    for (let attempt = 0; attempt < 50 && removed.length === 0; attempt++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      removed = await j.cleanup(j.nextOffset);
    }
    assert.ok(removed.length > 10, `cleanup removed ${removed.length} segments`);
    await j.close();
  } finally {
    cleanup();
  }
});

test.run();
