// @both-backends — rule 10: bytes recovery cuts or sets aside are kept, each copy under a name of its own; a second cut at the same offset, or a second 'truncate' of the same segment, never overwrites an earlier copy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';

const brokenFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.includes('.broken'))
    .sort();

test('two torn tails cut at the same offset keep two copies, each with its own bytes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    for (let i = 0; i < 5; i++) await j.append(payloadFor(i, 100));
    const end = j.nextOffset;
    await j.close();
    const tail = readdirSync(dir)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .pop()!;
    // 50 bytes of a frame (a length field promising more), then a second, different torn write there.
    const torn1 = Buffer.alloc(50, 0x11);
    torn1.writeUInt32LE(1000, 0);
    appendFileSync(join(dir, tail), torn1);
    const a = await Journal.open(dir);
    assert.is(a.recovery.truncatedAt, end);
    await a.close();
    const torn2 = Buffer.alloc(20, 0x22);
    torn2.writeUInt32LE(500, 0);
    appendFileSync(join(dir, tail), torn2);
    const b = await Journal.open(dir);
    assert.is(b.recovery.truncatedAt, end);
    await b.close();
    const kept = brokenFiles(dir);
    assert.is(kept.length, 2, kept.join(','));
    const contents = kept.map((n) => readFileSync(join(dir, n)).toString('hex')).sort();
    assert.equal(contents, [torn1.toString('hex'), torn2.toString('hex')].sort());
    assert.ok(a.recovery.brokenFiles[0] !== b.recovery.brokenFiles[0], 'each report names its own copy');
  } finally {
    cleanup();
  }
});

/** A 3+ segment journal whose payloads depend on `seed`; returns its segment names. */
async function build(dir: string, seed: number): Promise<string[]> {
  const j = await Journal.open(dir, { segmentBytes: 1024 });
  for (let i = 0; i < 24; i++) await j.append(payloadFor(seed * 1000 + i, 160));
  await j.close();
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

/** Flips a payload byte of the second record of `seg` (valid records follow it: corruption). */
function damage(dir: string, seg: string): void {
  const p = join(dir, seg);
  const b = readFileSync(p);
  b[32 + 200 + 40 + 10]! ^= 0xff;
  writeFileSync(p, b);
}

test("'truncate' twice over the same segments keeps both sets of cut and set-aside bytes", async () => {
  const { dir, cleanup } = tempDir();
  const { dir: other, cleanup: cleanupOther } = tempDir();
  try {
    const segs = await build(dir, 1);
    assert.ok(segs.length >= 4, segs.join(','));
    const victim = segs[1]!;
    damage(dir, victim);
    const first = await Journal.open(dir, { recovery: 'truncate', verifyAll: true });
    await first.close();
    const keptFirst = new Map(brokenFiles(dir).map((n) => [n, readFileSync(join(dir, n)).toString('hex')]));
    assert.ok(keptFirst.size >= 3, [...keptFirst.keys()].join(','));
    // The same layout with other payloads, damaged the same way, put in its place.
    assert.equal(await build(other, 2), segs);
    damage(other, victim);
    for (const n of segs) copyFileSync(join(other, n), join(dir, n));
    copyFileSync(join(other, 'durable'), join(dir, 'durable'));
    const second = await Journal.open(dir, { recovery: 'truncate', verifyAll: true });
    await second.close();
    const keptNow = brokenFiles(dir);
    assert.is(keptNow.length, keptFirst.size * 2, keptNow.join(','));
    for (const [name, hex] of keptFirst) assert.is(readFileSync(join(dir, name)).toString('hex'), hex, `${name} was overwritten`);
    for (const name of second.recovery.brokenFiles) assert.not.ok(keptFirst.has(name), `${name} reused`);
  } finally {
    cleanup();
    cleanupOther();
  }
});

test.run();
