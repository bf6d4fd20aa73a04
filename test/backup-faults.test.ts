// Backup and restore when a sync fails: each of their syncs (a chunk's datasync, a file's
// sync, the work directory's sync) failing once rejects with the OS error and leaves no
// DEST and no partial directory, while the journal being backed up goes on appending and
// the next backup succeeds. The parent's sync after the rename failing leaves DEST whole
// and says so (DEST_NOT_DURABLE). The faults are injected by replacing, for one call, the
// FileHandle method or the IO layer's directory sync that the copy uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Journal, backup, restore } from '../src/index.js';
import { defaultIO } from '../src/io/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { fillVaried } from './helpers/backup-fill.js';

const SEG = 64 * 1024;

type Patchable = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** FileHandle.prototype (node:fs/promises does not export the class). */
async function fileHandleProto(): Promise<Patchable> {
  const fh = await fsp.open(new URL(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(fh) as Patchable;
  await fh.close();
  return proto;
}

/**
 * Replaces `target[method]` so that its call number `failAt` (1-based) rejects with EIO;
 * returns a restore function and the count of calls seen.
 */
function failOnce(target: Patchable, method: string, failAt: number): { undo: () => void; calls: () => number; failedPath: () => string | undefined } {
  const original = target[method]!;
  let calls = 0;
  let failedPath: string | undefined;
  target[method] = function (this: unknown, ...args: unknown[]) {
    calls++;
    if (calls === failAt) {
      failedPath = typeof args[0] === 'string' ? args[0] : undefined;
      return Promise.reject(Object.assign(new Error(`EIO: i/o error, ${method} (injected)`), { code: 'EIO', errno: -5, syscall: method }));
    }
    return original.apply(this, args);
  };
  return { undo: () => void (target[method] = original), calls: () => calls, failedPath: () => failedPath };
}

/** Runs `run` with call number `failAt` of `target[method]` failing (EIO): its error (null if none) and the fault. */
async function withFault(target: Patchable, method: string, failAt: number, run: () => Promise<unknown>) {
  const fault = failOnce(target, method, failAt);
  try {
    return { err: await errorOf(run()), fault };
  } finally {
    fault.undo();
  }
}

/** A journal in `root`/wal with `count` records (closed unless `keepOpen`), and their acks. */
async function journalIn(root: string, count: number, keepOpen = false) {
  const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
  const acks = await fillVaried(j, 0, count);
  if (!keepOpen) await j.close();
  return { j, acks, wal: join(root, 'wal'), dest: join(root, 'bk') };
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: unknown; cause?: { code?: unknown } } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err as { code?: unknown; cause?: { code?: unknown } };
  }
}

/** The `DEST.partial-*` directories beside DEST. */
function partials(dest: string): string[] {
  return readdirSync(dirname(dest)).filter((n) => n.startsWith(`${basename(dest)}.partial-`));
}

/** Nothing of a failed run beside DEST: no DEST (unless `destExpected`) and no `DEST.partial-*`. */
function assertNoLeftovers(dest: string, destExpected = false): void {
  assert.is(existsSync(dest), destExpected, destExpected ? 'DEST in place' : 'no DEST');
  assert.equal(partials(dest), [], 'no partial directory left');
}

/**
 * After a failed backup of a journal that is still open: no partial directory, except on
 * Windows, where hard links to the segments the journal holds open can stay until it closes
 * them (classic delete semantics, as under wine): then only those.
 */
function assertFailedRunCleared(dest: string, walDir: string): void {
  assert.not.ok(existsSync(dest), 'no DEST');
  const left = partials(dest);
  if (process.platform !== 'win32') return assert.equal(left, [], 'no partial directory left');
  const segments = new Set(readdirSync(walDir));
  for (const dir of left) {
    const names = readdirSync(join(dirname(dest), dir));
    assert.ok(
      names.every((n) => segments.has(n) && n.endsWith('.wal')),
      `${dir} holds only links to the open journal's segments: ${names.join(', ')}`,
    );
  }
}

/** Every acknowledged record is in the journal at `dir`, as appended. */
async function assertHolds(dir: string, acks: ReadonlyArray<{ offset: number; i: number; len: number }>): Promise<void> {
  const copy = await Journal.open(dir, { segmentBytes: SEG });
  try {
    for (const a of acks) {
      const r = await copy.read(a.offset);
      assert.ok(r && equalBytes(r.payload, payloadFor(a.i, a.len)), `record ${a.i} at ${a.offset}`);
    }
  } finally {
    await copy.close();
  }
}

// Which sync fails, and the call number that fails: the copy of the active segment datasyncs
// each chunk; sync ends each copied file, then the watermark file and the manifest; the
// directory syncs are the work directory's, then (after the rename) the parent's.
const BEFORE_RENAME: Array<{ what: string; target: () => Promise<Patchable>; method: string; failAt: number }> = [
  { what: "a chunk's datasync", target: fileHandleProto, method: 'datasync', failAt: 1 },
  { what: "the copied segment's sync", target: fileHandleProto, method: 'sync', failAt: 1 },
  { what: "the manifest's sync (the last file)", target: fileHandleProto, method: 'sync', failAt: 3 },
  { what: "the work directory's sync", target: async () => defaultIO() as unknown as Patchable, method: 'fsyncDir', failAt: 1 },
];

for (const { what, target, method, failAt } of BEFORE_RENAME) {
  test(`journal.backup: ${what} fails: rejects with EIO, no DEST, no partial directory; appends go on; the next backup is whole`, async () => {
    const { dir: root, cleanup } = tempDir();
    try {
      const { j, acks, dest } = await journalIn(root, 300, true);
      const { err, fault } = await withFault(await target(), method, failAt, () => j.backup(dest));
      assert.is(fault.calls(), failAt, 'the run stopped at the failing sync');
      assert.is(err?.code, 'EIO', `rejected with the OS error (${String(err)})`);
      assertFailedRunCleared(dest, join(root, 'wal'));
      // The journal never saw the failure: not failed, appends and syncs go on.
      assert.is(j.stats().failed, null);
      acks.push(...(await fillVaried(j, 300, 20)));
      const ok = await j.backup(dest); // not DEST_BUSY: the failed run is over
      assert.is(ok.endOffset, j.durableOffset);
      await j.close();
      await assertHolds(dest, acks);
      // Whatever the failed run left (Windows) goes with the next run into that DEST, even a refused one.
      assert.is((await errorOf(backup(join(root, 'wal'), dest)))?.code, 'DEST_NOT_EMPTY');
      assertNoLeftovers(dest, true);
    } finally {
      cleanup();
    }
  });

  test(`backup(dir) from outside: ${what} fails: rejects with EIO; nothing left, on Windows too (the copy's own files are closed first)`, async () => {
    const { dir: root, cleanup } = tempDir();
    try {
      const { acks, wal, dest } = await journalIn(root, 300);
      const { err } = await withFault(await target(), method, failAt, () => backup(wal, dest));
      assert.is(err?.code, 'EIO', String(err));
      assertNoLeftovers(dest);
      await backup(wal, dest);
      assertNoLeftovers(dest, true);
      await assertHolds(dest, acks);
    } finally {
      cleanup();
    }
  });
}

test("backup: the parent's sync after the rename fails: DEST_NOT_DURABLE with the OS error as cause, DEST in place and whole", async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const { acks, wal, dest } = await journalIn(root, 300);
    const { err, fault } = await withFault(defaultIO() as unknown as Patchable, 'fsyncDir', 2, () => backup(wal, dest));
    assert.is(err?.code, 'DEST_NOT_DURABLE', String(err));
    assert.is(err?.cause?.code, 'EIO');
    assert.is(fault.failedPath(), root, "the failing sync was the parent's");
    assertNoLeftovers(dest, true);
    await assertHolds(dest, acks);
  } finally {
    cleanup();
  }
});

test("leftovers: a dead process's and this process's own finished runs' partial directories are swept; a second run into the same DEST meanwhile is DEST_BUSY", async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const { j, acks, dest } = await journalIn(root, 100, true);
    const deadPid = 2 ** 22 + 12_345; // above Linux's pid_max default: no such process
    for (const name of [`bk.partial-${deadPid}`, `bk.partial-${deadPid}-3`, `bk.partial-${process.pid}-999`, `other.partial-${deadPid}`]) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'x'), 'x');
    }
    const first = j.backup(dest, { maxBytesPerSecond: 4 << 20 });
    const mine = `bk.partial-${process.pid}-`;
    while (!readdirSync(root).some((n) => n.startsWith(mine) && n !== `${mine}999`)) await new Promise((r) => setTimeout(r, 1));
    assert.is((await errorOf(j.backup(dest)))?.code, 'DEST_BUSY');
    assert.is((await errorOf(backup(join(root, 'wal'), dest)))?.code, 'DEST_BUSY'); // from outside too
    await first;
    await j.close();
    await assertHolds(dest, acks);
    assert.equal(
      readdirSync(root).filter((n) => n.includes('.partial-')),
      [`other.partial-${deadPid}`],
      "only another DEST's is left",
    );
  } finally {
    cleanup();
  }
});

test('restore: a failing datasync rejects with EIO and writes no DEST; the retry restores every record', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const { acks, wal } = await journalIn(root, 300);
    const bk = await backup(wal, join(root, 'bk'));
    const dest = join(root, 'restored');
    for (const failAt of [1, 3]) {
      const { err } = await withFault(await fileHandleProto(), 'datasync', failAt, () => restore(bk.dest, dest));
      assert.is(err?.code, 'EIO', `datasync call ${failAt}: ${String(err)}`);
      assertNoLeftovers(dest);
    }
    await restore(bk.dest, dest);
    assertNoLeftovers(dest, true);
    await assertHolds(dest, acks);
  } finally {
    cleanup();
  }
});

test.run();
