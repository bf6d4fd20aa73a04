// A journal of 100 000 segments opens, reads, iterates and appends (writer and reader) under `ulimit -n 256`: segment files are kept open in a bounded set, not one descriptor per segment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeSync, writevSync } from 'node:fs';
import { WATERMARK_BYTES } from '../src/format/watermark.js';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalIO } from '../src/index.js';
import { createFsIO } from '../src/io/index.js';
import { tempDir } from './helpers/tmp.js';

const SEGMENTS = 100_000;

/** node:fs IO without syncs: only to lay out many segments fast (durability is not under test here). */
function unsyncedIO(): JournalIO {
  const fsIO = createFsIO();
  return {
    ...fsIO,
    // Synchronous writes: no thread-pool round trip per segment created.
    writev(fd, bufs, pos, _sync, wm) {
      const n = writevSync(fd, bufs as Uint8Array[], pos);
      if (wm) writeSync(wm.fd, wm.record, 0, WATERMARK_BYTES, 0);
      return Promise.resolve(n);
    },
    fsync: async () => {},
    fsyncDir: async () => {},
  };
}

/** On tmpfs where there is one: creating and deleting 100 000 files on a busy disk takes minutes. */
function fastTempDir(): { dir: string; cleanup: () => void } {
  if (!existsSync('/dev/shm')) return tempDir();
  const dir = mkdtempSync('/dev/shm/stemedb-fds-');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test(`${SEGMENTS} segments under ulimit -n 256: open, read, iterate, append, reader`, async () => {
  const { dir, cleanup } = fastTempDir();
  try {
    const t0 = Date.now();
    const j = await Journal.open(dir, { segmentBytes: 1024, durability: 'none', syncIntervalMs: 0, io: unsyncedIO() });
    const batch = Array.from({ length: 1000 }, (_, i) => new Uint8Array(500).fill(i & 0xff));
    for (let n = 0; n < SEGMENTS; n += batch.length) await j.appendBatch(batch);
    await j.sync();
    await j.close();
    assert.is(readdirSync(dir).filter((n) => n.endsWith('.wal')).length, SEGMENTS);
    console.log(`  laid out ${SEGMENTS} segments in ${Date.now() - t0} ms`);
    const t1 = Date.now();
    const child = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'child-fds.ts');
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx "${child}" "${dir}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    console.log(`  child ran in ${Date.now() - t1} ms`);
    assert.is(out.code, 0, out.stderr.slice(-2000));
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!);
    assert.is(r.first, 500);
    assert.is(r.mid, 500);
    assert.is(r.records, SEGMENTS);
    assert.is(r.before, SEGMENTS);
    assert.ok(r.segments >= SEGMENTS + 299, `rotated: ${r.segments}`);
    assert.is(r.readerRecords, SEGMENTS + 300);
    assert.is(r.last, 600);
    assert.ok(r.fdsWriter < 200 && r.fdsReader < 200, `open descriptors: writer ${r.fdsWriter}, reader ${r.fdsReader}`);
  } finally {
    cleanup();
  }
});

test('a writer holds at most maxOpenSegments segment files open, whatever it reads', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 1024, maxOpenSegments: 4 });
    for (let i = 0; i < 60; i++) await j.append(new Uint8Array(600).fill(i));
    const count = () => readdirSync('/proc/self/fd').length;
    const base = count();
    let n = 0;
    for await (const r of j.iterate()) n += r.payload[0] === n ? 1 : 0;
    assert.is(n, 60);
    assert.ok(count() <= base, `descriptors grew from ${base} to ${count()}`);
    assert.ok(j.segments.files.openCount <= 4, `open segment files: ${j.segments.files.openCount}`);
    await j.close();
  } finally {
    cleanup();
  }
});

test.run();
