// The by-hand procedures docs/durability.md gives for damage recovery cannot repair (a segment gap,
// an overlap, a damaged segment header): each is run here exactly as written and must keep the
// records it promises, at their original offsets. And what reopening after 'salvage' does, as
// documented: a region skipped in a sealed segment is not rescanned at open.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, recover, crc32c } from '../src/index.js';
import { rejects } from './helpers/assert.js';
import { payloadFor, tempDir } from './helpers/tmp.js';

async function build(dir: string): Promise<Array<{ offset: number; payload: Uint8Array }>> {
  const j = await Journal.open(dir, { segmentBytes: 1024 });
  const recs: Array<{ offset: number; payload: Uint8Array }> = [];
  for (let i = 0; i < 16; i++) {
    const payload = payloadFor(i, 200);
    recs.push({ offset: (await j.append(payload)).offset, payload });
  }
  await j.close();
  return recs;
}

const segs = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();

async function offsets(j: { iterate(): AsyncIterable<{ offset: number }> }): Promise<number[]> {
  const out: number[] = [];
  for await (const r of j.iterate()) out.push(r.offset);
  return out;
}

/**
 * The procedure for a gap or an overlap, as the docs give it: move `moved` into another
 * directory, open what is left with 'truncate'; open the moved segments once as a writer (it
 * creates their watermark) and read them. Returns the record offsets each side holds.
 */
async function moveAsideAndTruncate(dir: string, moved: string[]): Promise<{ kept: number[]; truncatedAt: number | null; aside: number[] }> {
  const aside = join(dir, 'aside');
  mkdirSync(aside);
  for (const n of moved) renameSync(join(dir, n), join(aside, n));
  if (moved.length > 0 && Number(moved[0]!.slice(0, 20)) > 0) {
    await rejects(Journal.open(dir), (e: Error & { reason?: string; code?: string }) => e.code === 'CORRUPTION');
  }
  const j = await Journal.open(dir, { recovery: 'truncate' });
  const kept = await offsets(j);
  const truncatedAt = j.recovery.truncatedAt;
  await j.close();
  const w = await Journal.open(aside);
  await w.close();
  const r = await Journal.openReader(aside);
  try {
    return { kept, truncatedAt, aside: await offsets(r) };
  } finally {
    await r.close();
  }
}

test('a segment gap: move the later segments aside, open with truncate; they read as a journal of their own', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const recs = await build(dir);
    const names = segs(dir);
    assert.ok(names.length >= 4, names.join());
    rmSync(join(dir, names[1]!)); // a lost segment: a gap between names[0] and names[2]
    await rejects(Journal.open(dir), (e: Error & { reason?: string }) => e.reason === 'segment gap');
    const got = await moveAsideAndTruncate(dir, names.slice(2)); // 'tolerate-tail' refuses: 'missing data'
    const lostFrom = Number(names[1]!.slice(0, 20));
    const from = Number(names[2]!.slice(0, 20));
    assert.equal(
      got.kept,
      recs.filter((r) => r.offset < lostFrom).map((r) => r.offset),
    );
    assert.equal(
      got.aside,
      recs.filter((x) => x.offset >= from).map((x) => x.offset),
    );
  } finally {
    cleanup();
  }
});

test('a segment overlap: the same procedure keeps each history readable', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const recs = await build(dir);
    const names = segs(dir);
    // Stray bytes written past the end of a sealed segment: it now claims offsets of the next one.
    const first = join(dir, names[0]!);
    writeFileSync(first, Buffer.concat([readFileSync(first), Buffer.from(payloadFor(99, 100))]));
    await rejects(Journal.open(dir), (e: Error & { reason?: string }) => e.reason === 'segment overlap');
    const got = await moveAsideAndTruncate(dir, names.slice(1));
    const next = Number(names[1]!.slice(0, 20));
    assert.is(got.truncatedAt, next);
    assert.equal(
      got.kept,
      recs.filter((r) => r.offset < next).map((r) => r.offset),
    );
    assert.equal(
      got.aside,
      recs.filter((x) => x.offset >= next).map((x) => x.offset),
    );
  } finally {
    cleanup();
  }
});

test('a damaged segment header: rewriting its 32 bytes from the file name brings every record back', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const recs = await build(dir);
    const victim = join(dir, segs(dir)[1]!);
    const b = readFileSync(victim);
    b.fill(0xee, 0, 32);
    writeFileSync(victim, b);
    await rejects(Journal.open(dir), (e: Error & { code?: string }) => e.code === 'BAD_SEGMENT');
    // The header, by hand, as docs/format.md lays it out (version 3 first).
    const h = Buffer.alloc(32);
    h.write('STEMEWAL', 0, 'latin1');
    h.writeUInt32LE(3, 8);
    h.writeUInt32LE(32, 12);
    h.writeBigUInt64LE(BigInt(Number(segs(dir)[1]!.slice(0, 20))), 16);
    h.writeUInt32LE(crc32c(h.subarray(0, 28)), 28);
    h.copy(b, 0);
    writeFileSync(victim, b);
    const report = await recover(dir, { verifyAll: true, dryRun: true });
    assert.is(report.corruption.length, 0);
    assert.is(report.recordsValid, recs.length);
    const j = await Journal.open(dir);
    assert.equal(
      await offsets(j),
      recs.map((r) => r.offset),
    );
    await j.close();
  } finally {
    cleanup();
  }
});

test("after 'salvage': a damaged sealed segment reopens with 'tolerate-tail', fails on read, and verifyAll refuses it", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const recs = await build(dir);
    const names = segs(dir);
    const victim = recs.find((r) => r.offset > 0 && r.offset < Number(names[1]!.slice(0, 20)))!;
    const path = join(dir, names[0]!);
    const b = readFileSync(path);
    const at = 32 + victim.offset + 60; // a payload byte of a record in the sealed first segment
    b[at] = b[at]! ^ 0x40;
    writeFileSync(path, b);
    const s = await Journal.open(dir, { recovery: 'salvage', verifyAll: true });
    assert.equal(
      s.recovery.gaps.map((g) => g.from),
      [victim.offset],
    );
    await rejects(s.read(victim.offset), (e: Error & { code?: string }) => e.code === 'OFFSET_SKIPPED');
    await s.close();
    const t = await Journal.open(dir);
    assert.is(t.recovery.corruption.length, 0, 'open scans only the tail segment');
    await rejects(t.read(victim.offset), (e: Error & { code?: string }) => e.code === 'CORRUPTION');
    await t.close();
    await rejects(Journal.open(dir, { verifyAll: true }), (e: Error & { code?: string }) => e.code === 'CORRUPTION');
  } finally {
    cleanup();
  }
});

test.run();
