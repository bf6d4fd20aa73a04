/**
 * The addon's write loop (native/io/write_loop.cc: writerOpen / writerWritev /
 * writerClose), which the journal's default IO writes through.
 *
 *   npx tsx test/io-writer.test.ts
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadBinding, packageRoot } from '../src/native/binding.js';
import type { NativeIoBinding } from '../src/io/native.js';
import { tempDir } from './helpers/tmp.js';
import { rejects, within } from './helpers/assert.js';

const b = loadBinding() as NativeIoBinding | null;

function withFile<T>(fn: (fd: number, file: string) => Promise<T>): Promise<T> {
  const { dir, cleanup } = tempDir('stemedb-writer-');
  const file = path.join(dir, 'f');
  const fd = fs.openSync(file, 'w+');
  return fn(fd, file).finally(() => {
    fs.closeSync(fd);
    cleanup();
  });
}

if (!b) {
  console.log('io-writer: native addon not available; skipping');
} else {
  const binding = b;

  test('jobs run in submission order: 300 at once, overlapping writes end with the last one', async () => {
    await withFile(async (fd, file) => {
      const w = binding.writerOpen(100);
      const jobs: Array<Promise<number>> = [];
      for (let k = 0; k < 300; k++) {
        // Every job rewrites byte 0 and appends its own byte: order decides what is left.
        jobs.push(binding.writerWritev(w, fd, [Uint8Array.of(k & 0xff)], 0, k % 50 === 0, -1, null));
        jobs.push(binding.writerWritev(w, fd, [Uint8Array.of(k & 0xff)], 1 + k, false, -1, null));
      }
      const sizes = await Promise.all(jobs);
      assert.ok(sizes.every((n) => n === 1));
      const got = fs.readFileSync(file);
      assert.is(got[0], 299 & 0xff, 'the last submitted write to byte 0 landed last');
      for (let k = 0; k < 300; k++) assert.is(got[1 + k], k & 0xff);
      binding.writerClose(w);
    });
  });

  test('an adaptive poll (spinMicros < maxSpinMicros): jobs after short gaps, long pauses and at once all run, in order', async () => {
    await withFile(async (fd, file) => {
      const w = binding.writerOpen(20, 800);
      const busy = (micros: number) => {
        const until = performance.now() + micros / 1000;
        while (performance.now() < until);
      };
      let at = 0;
      for (let k = 0; k < 120; k++) {
        // Gaps the loop catches while polling, ones that outlast it, and jobs already queued.
        if (k % 10 === 9) await new Promise((r) => setTimeout(r, 3));
        else busy((k % 4) * 150);
        const burst = 1 + (k % 3);
        const jobs = [];
        for (let b = 0; b < burst; b++, at++) jobs.push(binding.writerWritev(w, fd, [Uint8Array.of(at & 0xff)], at, b === burst - 1, -1, null));
        assert.ok((await Promise.all(jobs)).every((n) => n === 1));
      }
      const got = fs.readFileSync(file);
      assert.is(got.length, at);
      for (let k = 0; k < at; k++) assert.is(got[k], k & 0xff);
      binding.writerClose(w);
    });
  });

  test('a failing job rejects with its errno; the loop keeps serving later jobs', async () => {
    await withFile(async (fd) => {
      const w = binding.writerOpen(0);
      const bad = binding.writerWritev(w, 987654, [Uint8Array.of(1)], 0, true, -1, null);
      const good = binding.writerWritev(w, fd, [Uint8Array.of(2, 3)], 0, true, -1, null);
      await rejects(bad, (e: Error & { code?: string; syscall?: string }) => e.code === 'EBADF' && e.syscall === 'pwritev');
      assert.is(await good, 2);
      // After a pause longer than the polling window the loop starts again on demand.
      await new Promise((r) => setTimeout(r, 20));
      assert.is(await binding.writerWritev(w, fd, [Uint8Array.of(4)], 2, true, -1, null), 1);
      binding.writerClose(w);
    });
  });

  test('a full disk (ENOSPC via /dev/full where it exists) rejects the job with ENOSPC', async () => {
    if (!fs.existsSync('/dev/full')) return;
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const w = binding.writerOpen(100);
      await rejects(
        binding.writerWritev(w, fd, [new Uint8Array(4096)], 0, true, -1, null),
        (e: Error & { code?: string }) => e.code === 'ENOSPC' && /disk is full/i.test(e.message),
      );
      binding.writerClose(w);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('writerClose: queued jobs still settle; later calls throw ERR_CLOSED; closing twice is fine', async () => {
    await withFile(async (fd, file) => {
      const w = binding.writerOpen(100);
      const queued = [0, 1, 2, 3].map((i) => binding.writerWritev(w, fd, [Uint8Array.of(10 + i)], i, i === 3, -1, null));
      binding.writerClose(w);
      assert.equal(await Promise.all(queued), [1, 1, 1, 1]);
      assert.equal([...fs.readFileSync(file)], [10, 11, 12, 13]);
      assert.throws(
        () => binding.writerWritev(w, fd, [Uint8Array.of(1)], 0, true, -1, null),
        (e: Error & { code?: string }) => e.code === 'ERR_CLOSED',
      );
      binding.writerClose(w);
    });
  });

  test('bad arguments: TypeError/RangeError, never a crash', () => {
    const isType = (e: Error) => e instanceof TypeError;
    const isRange = (e: Error) => e instanceof RangeError;
    assert.throws(() => binding.writerOpen('10' as unknown as number), isType);
    assert.throws(() => binding.writerOpen(-1), isRange);
    assert.throws(() => binding.writerOpen(1.5), isRange);
    assert.throws(() => binding.writerOpen(2_000_000), isRange);
    assert.throws(() => binding.writerOpen(100, '500' as unknown as number), isType);
    assert.throws(() => binding.writerOpen(100, 50), isRange, 'maxSpinMicros below spinMicros');
    assert.throws(() => binding.writerOpen(100, 2_000_000), isRange);
    assert.throws(() => binding.writerWritev({}, 1, [], 0, true, -1, null), isType);
    assert.throws(() => binding.writerClose(42), isType);
    const w = binding.writerOpen(0);
    assert.throws(() => binding.writerWritev(w, 1, 'x' as unknown as Uint8Array[], 0, true, -1, null), isType);
    assert.throws(() => binding.writerWritev(w, 1, [new Uint8Array(1)], -1, true, -1, null), isRange);
    assert.throws(() => binding.writerWritev(w, 1, [new Uint8Array(1)], 0, 'yes' as unknown as boolean, -1, null), isType);
    binding.writerClose(w);
  });

  test('an idle writer never keeps the process alive (a child that never closes it exits)', async () => {
    const { dir, cleanup } = tempDir('stemedb-writer-');
    try {
      // The addon file node-gyp-build picks (build/Release, or a prebuild).
      const addon = (createRequire(import.meta.url)('node-gyp-build') as { path: (dir: string) => string }).path(packageRoot);
      const script = `
        const b = require(${JSON.stringify(addon)});
        const fd = require('fs').openSync(${JSON.stringify(path.join(dir, 'f'))}, 'w');
        const w = b.writerOpen(1000);
        b.writerWritev(w, fd, [Buffer.from('x')], 0, true, -1, null).then((n) => console.log('wrote', n));`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const code = await within(new Promise<number | null>((r) => child.on('exit', r)), 10_000, 'child exit');
      assert.is(code, 0);
      assert.is(out.trim(), 'wrote 1');
    } finally {
      cleanup();
    }
  });
}

test.run();
