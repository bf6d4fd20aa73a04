// Live backup and restore through the API and the CLI: a backup taken while appends go on
// holds every record acknowledged before it began and nothing after a torn byte; it opens,
// verifies, and is hard-linked only where a segment can never change again. Restore ends a
// journal at a record boundary exactly, and refuses anything else without writing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, backup, restore, recover } from '../src/index.js';
import { main } from '../src/cli/main.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { fillVaried } from './helpers/backup-fill.js';

const SEG = 64 * 1024;

function cli(args: string[]): { code: Promise<number>; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { code: main(args, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false }), out, err };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = cli(args);
  const code = await c.code;
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'no error';
}

test('journal.backup while appends go on: every record acknowledged before it is there, the copy opens and verifies', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    const before = await fillVaried(j, 0, 600);
    // Appends keep going during the backup.
    let stop = false;
    const during = (async () => {
      let i = 10_000;
      while (!stop) await fillVaried(j, (i += 10) - 10, 10);
    })();
    const endAtStart = j.durableOffset;
    const r = await j.backup(join(root, 'bk'));
    stop = true;
    await during;
    assert.is(r.endOffset, endAtStart);
    assert.ok(r.segments >= 5, `${r.segments} segments`);
    assert.is(r.linked, r.segments - 1, 'every sealed segment linked, the last copied');
    const names = readdirSync(r.dest)
      .filter((n) => n.endsWith('.wal'))
      .sort();
    for (const [k, n] of names.entries()) assert.is(statSync(join(r.dest, n)).nlink, k < names.length - 1 ? 2 : 1, n);
    const manifest = JSON.parse(readFileSync(join(r.dest, 'BACKUP.json'), 'utf8'));
    assert.is(manifest.endOffset, r.endOffset);
    assert.is((await run(['verify', r.dest])).code, 0);
    await j.close();
    const copy = await Journal.open(r.dest, { segmentBytes: SEG });
    assert.is(copy.nextOffset, r.endOffset, 'the copy ends exactly at the durable end it started from');
    assert.is(copy.recovery.truncatedAt, null);
    assert.is(copy.recovery.zeroTailBytes, 0, 'no preallocated zeros were copied');
    for (const a of before) assert.ok(equalBytes((await copy.read(a.offset))!.payload, payloadFor(a.i, a.len)), `record ${a.i}`);
    await copy.append(payloadFor(1, 10)); // appends go to the copied tail, never a linked file
    await copy.close();
    // The source's sealed segments are untouched by that.
    const src = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    for (const a of before) assert.ok((await src.read(a.offset)) !== null);
    await src.close();
  } finally {
    cleanup();
  }
});

test('link: false copies every byte; backup() from outside copies up to the published watermark', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    await fillVaried(j, 0, 300);
    const r = await j.backup(join(root, 'copied'), { link: false });
    assert.is(r.linked, 0);
    for (const n of readdirSync(r.dest)) assert.is(statSync(join(r.dest, n)).nlink, 1);
    // From outside, beside the open writer (it holds the lock): takes none.
    const outside = await backup(join(root, 'wal'), join(root, 'outside'));
    assert.is(outside.endOffset, j.durableOffset);
    await j.close();
    const closed = await backup(join(root, 'wal'), join(root, 'closed'));
    assert.is(closed.endOffset, r.endOffset);
    for (const d of [r.dest, outside.dest, closed.dest]) assert.is((await run(['verify', d])).code, 0, d);
  } finally {
    cleanup();
  }
});

test('maxBytesPerSecond paces the copy: it takes at least bytesCopied / rate, and the copy is whole', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: 1 << 20 });
    const big = Array.from({ length: 16 }, (_, k) => payloadFor(k, 64 * 1024));
    for (let k = 0; k < 3; k++) await j.appendBatch(big); // 3 MiB: 3 full segments and a tail
    const rate = 6 << 20;
    const progress: number[] = [];
    const t0 = performance.now();
    const r = await j.backup(join(root, 'paced'), { link: false, maxBytesPerSecond: rate, onProgress: (n) => progress.push(n) });
    const ms = performance.now() - t0;
    assert.ok(r.bytesCopied > 3 << 20, `copied ${r.bytesCopied}`);
    // Unpaced, 3 MiB from the page cache takes a few tens of ms; paced, at least 500 ms.
    assert.ok(ms >= (r.bytesCopied / rate) * 1000 - 5, `${ms} ms for ${r.bytesCopied} bytes at ${rate} B/s`);
    assert.is(progress[progress.length - 1], r.bytesCopied);
    for (let k = 1; k < progress.length; k++) assert.ok(progress[k]! - progress[k - 1]! <= 1 << 20, 'at most one 1-MiB chunk between syncs');
    const unpaced = await j.backup(join(root, 'unpaced'), { link: false, maxBytesPerSecond: Infinity });
    // Hard-linked: few bytes copied, but the pace also counts each sync of a new small file or
    // a directory as one MiB (watermark, manifest, the backup directory, its parent: at least 4).
    const t1 = performance.now();
    const linked = await j.backup(join(root, 'linked'), { maxBytesPerSecond: 8 << 20 });
    const linkedMs = performance.now() - t1;
    assert.is(linked.linked, 3);
    assert.ok(linkedMs >= ((linked.bytesCopied + 4 * (1 << 20)) / (8 << 20)) * 1000 - 5, `${linkedMs} ms for a linked backup at 8 MiB/s`);
    await j.close();
    for (const d of [r.dest, unpaced.dest, linked.dest]) assert.is((await run(['verify', d])).code, 0, d);
  } finally {
    cleanup();
  }
});

test('a writer killed with unsynced bytes: the outside backup stops at the watermark, no torn bytes', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const wal = join(root, 'wal');
    const j = await Journal.open(wal, { segmentBytes: SEG });
    await fillVaried(j, 0, 50);
    const end = j.durableOffset;
    await j.close();
    // What a killed writer can leave above the watermark: a half-written frame.
    const tail = readdirSync(wal)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .pop()!;
    const fd = openSync(join(wal, tail), 'r+');
    writeSync(fd, Buffer.from([200, 0, 0, 0, 1, 2, 3]), 0, 7, statSync(join(wal, tail)).size);
    closeSync(fd);
    const r = await backup(wal, join(root, 'bk'));
    assert.is(r.endOffset, end);
    const report = await recover(r.dest, { dryRun: true, verifyAll: true });
    assert.is(report.truncatedAt, null, 'nothing torn in the copy');
    assert.is(report.end, end);
  } finally {
    cleanup();
  }
});

test('backup refuses a non-empty destination and bad arguments, with codes, and leaves no partial directory', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'));
    await fillVaried(j, 0, 10);
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', 'x'), 'x');
    assert.is(await codeOf(j.backup(join(root, 'full'))), 'DEST_NOT_EMPTY');
    assert.is(await codeOf(backup(join(root, 'wal'), join(root, 'full'))), 'DEST_NOT_EMPTY');
    writeFileSync(join(root, 'file'), 'x');
    assert.is(await codeOf(j.backup(join(root, 'file'))), 'DEST_NOT_EMPTY');
    assert.is(await codeOf(j.backup(42 as unknown as string)), 'ERR_INVALID_ARG_TYPE');
    assert.is(await codeOf(j.backup(join(root, 'b'), { link: 'yes' as unknown as boolean })), 'ERR_INVALID_ARG_TYPE');
    assert.is(await codeOf(j.backup(join(root, 'b'), { bogus: 1 } as never)), 'ERR_INVALID_ARG_VALUE');
    assert.is(await codeOf(j.backup(join(root, 'b'), { maxBytesPerSecond: '5' as unknown as number })), 'ERR_INVALID_ARG_TYPE');
    for (const bad of [0, -1, Number.NaN]) assert.is(await codeOf(j.backup(join(root, 'b'), { maxBytesPerSecond: bad })), 'ERR_OUT_OF_RANGE', String(bad));
    assert.is(await codeOf(backup(join(root, 'wal'), join(root, 'b'), { maxBytesPerSecond: 0 })), 'ERR_OUT_OF_RANGE');
    assert.is(await codeOf(backup(join(root, 'nothing'), join(root, 'b'))), 'NO_JOURNAL');
    // An empty existing directory is fine (replaced atomically).
    mkdirSync(join(root, 'empty'));
    await j.backup(join(root, 'empty'));
    assert.ok(existsSync(join(root, 'empty', 'BACKUP.json')));
    await j.close();
    assert.is(await codeOf(j.backup(join(root, 'c'))), 'CLOSED');
    assert.equal(
      readdirSync(root).filter((n) => n.includes('.partial-')),
      [],
    );
  } finally {
    cleanup();
  }
});

test('restore --to-offset: ends at that boundary exactly, appends continue there; a non-boundary is refused, nothing written', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    const acks = await fillVaried(j, 0, 400);
    const r = await j.backup(join(root, 'bk'));
    await j.close();
    const cut = acks[250]!; // in a later segment, not the first
    const dest = join(root, 'restored');
    assert.is(await codeOf(restore(r.dest, dest, { toOffset: cut.offset + 3 })), 'NOT_RECORD_START');
    assert.is(await codeOf(restore(r.dest, dest, { toOffset: r.endOffset + 40 })), 'NOT_RECORD_START');
    assert.is(await codeOf(restore(r.dest, dest, { toOffset: -1 })), 'ERR_OUT_OF_RANGE');
    assert.not.ok(existsSync(dest), 'nothing written to DEST');
    const res = await restore(r.dest, dest, { toOffset: cut.offset });
    assert.is(res.endOffset, cut.offset);
    assert.is((await run(['verify', dest])).code, 0);
    const back = await Journal.open(dest, { segmentBytes: SEG });
    assert.is(back.nextOffset, cut.offset);
    assert.is(await back.read(cut.offset), null);
    assert.ok(equalBytes((await back.read(acks[249]!.offset))!.payload, payloadFor(249, acks[249]!.len)));
    const next = await back.append(payloadFor(-1, 5));
    assert.is(next.offset, cut.offset, 'appends continue at N');
    await back.close();
    assert.is(await codeOf(restore(r.dest, dest)), 'DEST_NOT_EMPTY');
    // At a segment boundary, at the very start, and the whole backup.
    const bases = readdirSync(r.dest)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .map((n) => Number(n.slice(0, 20)));
    const atBase = await restore(r.dest, join(root, 'at-base'), { toOffset: bases[2]! });
    assert.is(atBase.segments, 2, 'a segment starting at N is left out');
    const empty = await restore(r.dest, join(root, 'empty'), { toOffset: 0 });
    const whole = await restore(r.dest, join(root, 'whole'));
    assert.is(whole.endOffset, r.endOffset);
    for (const [d, end] of [
      [atBase.dest, bases[2]!],
      [empty.dest, 0],
      [whole.dest, r.endOffset],
    ] as const) {
      const x = await Journal.open(d, { segmentBytes: SEG });
      assert.is(x.nextOffset, end, d);
      await x.append(payloadFor(7, 7));
      await x.close();
    }
  } finally {
    cleanup();
  }
});

test('CLI: backup and restore --to-offset, refusals exit non-zero with the code', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const wal = join(root, 'wal');
    const j = await Journal.open(wal, { segmentBytes: SEG });
    const acks = await fillVaried(j, 0, 200);
    // Beside the running writer in this process (its lock is held).
    const b = await run(['backup', wal, join(root, 'bk'), '--json']);
    assert.is(b.code, 0, b.err);
    const info = JSON.parse(b.out);
    assert.is(info.endOffset, j.durableOffset);
    await j.close();
    const bad = await run(['restore', join(root, 'bk'), join(root, 'r'), '--to-offset', String(acks[100]!.offset + 1)]);
    assert.is(bad.code, 3);
    assert.match(bad.err, /NOT_RECORD_START/);
    assert.not.ok(existsSync(join(root, 'r')));
    const ok = await run(['restore', join(root, 'bk'), join(root, 'r'), '--to-offset', String(acks[100]!.offset)]);
    assert.is(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`to ${acks[100]!.offset}`));
    assert.is((await run(['verify', join(root, 'r')])).code, 0);
    const again = await run(['backup', wal, join(root, 'bk')]);
    assert.is(again.code, 3);
    assert.match(again.err, /DEST_NOT_EMPTY/);
    assert.is((await run(['backup', wal])).code, 2);
    for (const rate of ['0', '-5', 'fast', '1.5']) {
      const r = await run(['backup', wal, join(root, `rate${rate}`), '--max-bytes-per-second', rate]);
      assert.is(r.code, 2, `--max-bytes-per-second ${rate}`);
      assert.match(r.err, /--max-bytes-per-second/);
    }
    const slow = performance.now();
    const paced = await run(['backup', wal, join(root, 'paced'), '--no-link', '--max-bytes-per-second', String(4 << 20), '--json']);
    assert.is(paced.code, 0, paced.err);
    const copied = JSON.parse(paced.out).bytesCopied as number;
    assert.ok(performance.now() - slow >= (copied / (4 << 20)) * 1000 - 5, 'the CLI passes the pace on');
    assert.is((await run(['backup', wal, join(root, 'fast'), '--max-bytes-per-second', 'Infinity'])).code, 0);
    assert.is((await run(['restore', join(root, 'bk'), join(root, 'x'), '--to-offset', 'ten'])).code, 2);
    assert.match((await run(['backup', '--help'])).out, /usage: stemedb backup/);
    assert.match((await run(['--help'])).out, /restore/);
  } finally {
    cleanup();
  }
});

test("a linked sealed segment never changes: recovery 'truncate' in the source works on a private copy", async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const wal = join(root, 'wal');
    const j = await Journal.open(wal, { segmentBytes: SEG });
    await fillVaried(j, 0, 300);
    const r = await j.backup(join(root, 'bk'));
    await j.close();
    const second = readdirSync(wal)
      .filter((n) => n.endsWith('.wal'))
      .sort()[1]!;
    // Damage inside the second (sealed, linked) segment: the backup shares the inode, so it sees it too.
    const fd = openSync(join(wal, second), 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 5000);
    closeSync(fd);
    const linkedBefore = readFileSync(join(r.dest, second));
    assert.is(statSync(join(r.dest, second)).nlink, 2);
    const src = await Journal.open(wal, { segmentBytes: SEG, recovery: 'truncate', verifyAll: true });
    assert.ok(src.recovery.truncatedAt !== null);
    await fillVaried(src, 5000, 50); // appended into the (now private) second segment
    await src.close();
    assert.ok(equalBytes(readFileSync(join(r.dest, second)), linkedBefore), "the backup's file is unchanged");
    assert.is(statSync(join(r.dest, second)).nlink, 1, 'the source replaced its name with a copy');
  } finally {
    cleanup();
  }
});

test.run();
