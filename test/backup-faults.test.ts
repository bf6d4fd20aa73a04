// Backup and restore when a sync fails: each of their syncs (a chunk's datasync, a file's
// sync, the work directory's sync) failing once rejects with the OS error and leaves no
// DEST and no partial directory, while the journal being backed up goes on appending and
// the next backup succeeds. The parent's sync after the rename failing leaves DEST whole
// and says so (DEST_NOT_DURABLE). The faults are injected by replacing, for one call, the
// FileHandle method or the IO layer's directory sync that the copy uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Journal, backup, restore } from '../src/index.js';
import { defaultIO } from '../src/io/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';

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

async function fill(j: Journal, from: number, count: number): Promise<Array<{ offset: number; i: number; len: number }>> {
  const acks: Array<{ offset: number; i: number; len: number }> = [];
  for (let i = from; i < from + count; i += 10) {
    const batch = Array.from({ length: 10 }, (_, k) => payloadFor(i + k, 100 + (((i + k) * 37) % 900)));
    const rs = await j.appendBatch(batch);
    rs.forEach((r, k) => acks.push({ offset: r.offset, i: i + k, len: batch[k]!.length }));
  }
  return acks;
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: unknown; cause?: { code?: unknown } } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err as { code?: unknown; cause?: { code?: unknown } };
  }
}

/** Nothing of a failed run beside DEST: no DEST (unless `destExpected`) and no `DEST.partial-*`. */
function assertNoLeftovers(dest: string, destExpected = false): void {
  assert.is(existsSync(dest), destExpected, destExpected ? 'DEST in place' : 'no DEST');
  const partial = readdirSync(dirname(dest)).filter((n) => n.includes('.partial-'));
  assert.equal(partial, [], 'no partial directory left');
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
  test(`backup: ${what} fails: rejects with EIO, no DEST, no partial directory; appends go on; the next backup is whole`, async () => {
    const { dir: root, cleanup } = tempDir();
    try {
      const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
      const acks = await fill(j, 0, 300);
      const dest = join(root, 'bk');
      const fault = failOnce(await target(), method, failAt);
      let err;
      try {
        err = await errorOf(j.backup(dest));
      } finally {
        fault.undo();
      }
      assert.is(fault.calls(), failAt, 'the run stopped at the failing sync');
      assert.is(err?.code, 'EIO', `rejected with the OS error (${String(err)})`);
      assertNoLeftovers(dest);
      // The journal never saw the failure: not failed, appends and syncs go on.
      assert.is(j.stats().failed, null);
      acks.push(...(await fill(j, 300, 20)));
      const ok = await j.backup(dest);
      assert.is(ok.endOffset, j.durableOffset);
      await j.close();
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
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    const acks = await fill(j, 0, 300);
    await j.close();
    const dest = join(root, 'bk');
    const fault = failOnce(defaultIO() as unknown as Patchable, 'fsyncDir', 2);
    let err;
    try {
      err = await errorOf(backup(join(root, 'wal'), dest));
    } finally {
      fault.undo();
    }
    assert.is(err?.code, 'DEST_NOT_DURABLE', String(err));
    assert.is(err?.cause?.code, 'EIO');
    assert.is(fault.failedPath(), root, "the failing sync was the parent's");
    assertNoLeftovers(dest, true);
    await assertHolds(dest, acks);
  } finally {
    cleanup();
  }
});

test('restore: a failing datasync rejects with EIO and writes no DEST; the retry restores every record', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    const acks = await fill(j, 0, 300);
    const bk = await j.backup(join(root, 'bk'));
    await j.close();
    const dest = join(root, 'restored');
    for (const failAt of [1, 3]) {
      const fault = failOnce(await fileHandleProto(), 'datasync', failAt);
      let err;
      try {
        err = await errorOf(restore(bk.dest, dest));
      } finally {
        fault.undo();
      }
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
