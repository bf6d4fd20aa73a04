// A full disk, after: the journal fail-stops on ENOSPC; reopening on a disk that is still
// full recovers without needing space when the tail holds only preallocated zeros, and
// otherwise refuses with ENOSPC, saying so, having cut nothing and left nothing behind
// (the cut bytes must be copied first, rule 10). A reader opens meanwhile; cleanup frees
// space. A real 2 MiB tmpfs where one can be mounted (root), the simulated disk always.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../src/index.js';
import { SimDisk } from './helpers/sim-disk.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';

const DIR = '/full';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: String((err as { code?: unknown }).code), message: String((err as Error).message) };
  }
  return { code: 'no error', message: '' };
}

/** A sim-disk journal whose tail ends in a torn frame above the watermark (as a killed writer leaves). */
async function tornJournal(disk: SimDisk): Promise<{ acked: Array<{ offset: number; i: number }>; segPath: string }> {
  const j = await Journal.open(DIR, { io: disk.process(), segmentBytes: 4096 });
  const acked: Array<{ offset: number; i: number }> = [];
  for (let i = 0; i < 30; i++) acked.push({ offset: (await j.append(payloadFor(i, 200))).offset, i });
  const segPath = `${DIR}/${j.segments.last!.name}`;
  await j.close();
  const bytes = disk.readFile(segPath)!;
  const torn = new Uint8Array(bytes.length + 120);
  torn.set(bytes);
  torn.set([150, 0, 0, 0, 9, 9, 9, 9], bytes.length); // a header promising more than is there
  disk.writeFile(segPath, torn);
  return { acked, segPath };
}

test('simulated disk: no room for the copy of a torn tail: the open refuses with ENOSPC, nothing cut, nothing left', async () => {
  for (const op of ['write', 'open'] as const) {
    const disk = new SimDisk({ seed: 7 });
    disk.mkdirp(DIR);
    const { acked, segPath } = await tornJournal(disk);
    const segName = segPath.slice(DIR.length + 1);
    const before = disk.dump(DIR);
    disk.failNext({ op, code: 'ENOSPC', path: /broken/ });
    const e = await codeOf(Journal.open(DIR, { io: disk.process(), segmentBytes: 4096 }));
    assert.is(e.code, 'ENOSPC', `${op}: ${e.message}`);
    assert.match(e.message, /nothing was cut/);
    assert.match(e.message, /disk is full/);
    const after = disk.dump(DIR);
    assert.equal([...after.keys()].sort(), [...before.keys()].sort(), `${op}: no file added or removed`);
    assert.ok(equalBytes(after.get(segName)!, before.get(segName)!), `${op}: the segment is untouched`);
    // Read-only meanwhile: every durable record.
    const r = await Journal.openReader(DIR, { io: disk.process() });
    let n = 0;
    for await (const rec of r.iterate()) assert.ok(equalBytes(rec.payload, payloadFor(acked[n++]!.i, 200)));
    assert.is(n, acked.length);
    await r.close();
    // Space again: the open keeps the cut bytes and goes on.
    const j = await Journal.open(DIR, { io: disk.process(), segmentBytes: 4096 });
    assert.is(j.recovery.brokenFiles.length, 1);
    assert.is(disk.readFile(`${DIR}/${j.recovery.brokenFiles[0]}`)!.length, 120);
    await j.append(payloadFor(99, 10));
    await j.close();
  }
});

/** Mounts a tmpfs of `size` on a new directory, or returns why it cannot. */
function mountTmpfs(size: string): { dir: string; unmount: () => void } | string {
  const { dir, cleanup } = tempDir('stemedb-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    cleanup();
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
  return {
    dir,
    unmount: () => {
      // Lazily if a failed case left a file open: the case's own error is the one to see.
      execFileSync('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}

/** Runs `body` on a fresh 2 MiB tmpfs, or says why the case is skipped. */
async function withTmpfs(body: (dir: string) => Promise<void>): Promise<void> {
  const fs = mountTmpfs('2m');
  if (typeof fs === 'string') {
    console.log(`  skipped the tmpfs case: cannot mount one here (${fs})`);
    return;
  }
  try {
    await body(fs.dir);
  } finally {
    fs.unmount();
  }
}

/** Appends to `file` until the file system is full. */
function fillUp(file: string): void {
  const page = Buffer.alloc(512);
  for (;;) {
    try {
      appendFileSync(file, page);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

test('a real full tmpfs: fail-stop, reopen while still full, reader, cleanup frees space, appends go on', () =>
  withTmpfs(async (fs) => {
    const wal = join(fs, 'wal');
    const j = await Journal.open(wal, { segmentBytes: 256 * 1024 });
    const acked: number[] = [];
    let failure: { code: string; message: string } = { code: 'no error', message: '' };
    for (let i = 0; failure.code === 'no error'; i++) {
      failure = await codeOf(j.append(payloadFor(i, 3000)).then((r) => acked.push(r.offset)));
      assert.ok(i < 10_000, 'the disk fills');
    }
    assert.is(failure.code, 'ENOSPC');
    assert.is(j.stats().failed, 'ENOSPC', 'fail-stop');
    assert.is((await codeOf(j.append(payloadFor(0, 10)))).code, 'ENOSPC', 'later appends refused too');
    await codeOf(j.close());
    // Still full: not even a small file fits.
    assert.is((await codeOf(Promise.resolve().then(() => writeFileSync(join(fs, 'probe'), Buffer.alloc(64 * 1024))))).code, 'ENOSPC');
    rmSync(join(fs, 'probe'), { force: true });
    const r = await Journal.openReader(wal);
    assert.ok(r.durableOffset >= acked[acked.length - 1]!, 'the reader sees every acknowledged record');
    await r.close();
    // The tail past the last record is preallocated zeros: cut without a copy, which frees space.
    const j2 = await Journal.open(wal, { segmentBytes: 256 * 1024 });
    assert.equal(j2.recovery.brokenFiles, []);
    for (const [i, off] of acked.entries()) assert.ok(equalBytes((await j2.read(off))!.payload, payloadFor(i, 3000)), `record ${i}`);
    const freeBefore = freeBytes(fs);
    const removed = await j2.cleanup(acked[Math.floor(acked.length * 0.7)]!);
    assert.ok(removed.length >= 3, `cleanup removed ${removed.length} segments`);
    assert.ok(freeBytes(fs) >= freeBefore + removed.length * 200 * 1024, 'cleanup freed their space');
    for (let i = 0; i < 50; i++) await j2.append(payloadFor(i, 3000));
    await j2.close();
  }));

test('a real full tmpfs with a torn tail: the open refuses (ENOSPC), the files are as they were; retention (not past a cursor) makes room and it recovers', () =>
  withTmpfs(async (fs) => {
    const wal = join(fs, 'wal');
    mkdirSync(wal);
    writeFileSync(join(fs, 'ballast'), Buffer.alloc(256 * 1024));
    // 'none' with explicit syncs: the failed write leaves record bytes, not zeros, past the watermark.
    const j = await Journal.open(wal, { segmentBytes: 256 * 1024, durability: 'none', syncIntervalMs: 0 });
    await j.cursors.commit('slow', 0); // a consumer at the start: retention must not pass it
    let synced = 0;
    let failed = false;
    for (let i = 0; !failed; i++) {
      const r = await codeOf(
        j.append(payloadFor(i, 3000)).then(async (x) => {
          if (i % 10 === 9) {
            await j.sync();
            synced = x.next;
          }
        }),
      );
      failed = r.code !== 'no error';
      if (failed) assert.is(r.code, 'ENOSPC');
    }
    await codeOf(j.close());
    const list = () =>
      readdirSync(wal, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${e.name}:${readFileSync(join(wal, e.name)).length}`)
        .sort();
    const before = list();
    const e = await codeOf(Journal.open(wal, { segmentBytes: 256 * 1024 }));
    assert.is(e.code, 'ENOSPC', e.message);
    assert.match(e.message, /nothing was cut/);
    assert.equal(list(), before, 'nothing cut, no partial copy left');
    const r = await Journal.openReader(wal);
    assert.is(r.durableOffset, synced);
    // Retention could make room, but the cursor holds every segment: still refused, nothing cut.
    const retain = { maxBytes: 600 * 1024 };
    const held = await codeOf(Journal.open(wal, { segmentBytes: 256 * 1024, retain }));
    assert.is(held.code, 'ENOSPC', held.message);
    assert.equal(list(), before, 'a cursor at 0: nothing deleted, nothing cut');
    await r.cursors.delete('slow'); // an unlink: needs no space
    await r.close();
    fillUp(join(fs, 'filler')); // the page the cursor file held would be room enough
    const sealed = readdirSync(wal).filter((n) => n.endsWith('.wal')).length - 1;
    assert.ok(sealed >= 3, `${sealed} sealed segments`);
    // Now retention deletes the oldest sealed segments first, and recovery keeps its copy.
    const j2 = await Journal.open(wal, { segmentBytes: 256 * 1024, retain });
    assert.is(j2.recovery.brokenFiles.length, 1, 'the cut bytes are kept');
    assert.ok(j2.firstOffset > 0, 'the oldest segments went');
    assert.ok(j2.nextOffset >= synced);
    assert.ok(readdirSync(wal).filter((n) => n.endsWith('.wal')).length - 1 < sealed);
    await j2.append(payloadFor(1, 100));
    await j2.close();
    rmSync(join(fs, 'ballast'));
  }));

test.run();
