/**
 * The addon's read loop (native/io/read_ahead.cc: readerOpen / readStart / readWait /
 * readTouch), which the record reader reads ahead through.
 *
 *   npx tsx test/io-reader.test.ts
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
import { within } from './helpers/assert.js';

type ReadBinding = Required<Pick<NativeIoBinding, 'readerOpen' | 'readStart' | 'readWait' | 'readTouch'>>;
const b = loadBinding() as (NativeIoBinding & Partial<ReadBinding>) | null;

/** A file of `size` bytes, byte i = i * 7 mod 251, open for reading. */
function withFile<T>(size: number, fn: (fd: number, file: string) => T): T {
  const { dir, cleanup } = tempDir('stemedb-reader-');
  const file = path.join(dir, 'f');
  fs.writeFileSync(
    file,
    Uint8Array.from({ length: size }, (_, i) => (i * 7) % 251),
  );
  const fd = fs.openSync(file, 'r');
  try {
    return fn(fd, file);
  } finally {
    fs.closeSync(fd);
    cleanup();
  }
}

function expected(position: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => ((position + i) * 7) % 251);
}

if (!b?.readerOpen) {
  console.log('io-reader: native addon (with its read loop) not available; skipping');
} else {
  const binding = b as ReadBinding;
  const loop = binding.readerOpen(300);

  test('reads fill the buffer; short only at the end of the file, 0 past it; waiting again gives the same', () => {
    withFile(300_000, (fd) => {
      const full = new Uint8Array(100_000);
      const tail = new Uint8Array(100_000);
      const past = new Uint8Array(10);
      const r1 = binding.readStart(loop, fd, full, 123);
      const r2 = binding.readStart(loop, fd, tail, 250_000);
      const r3 = binding.readStart(loop, fd, past, 400_000);
      assert.is(binding.readWait(r3), 0);
      assert.is(binding.readWait(r2), 50_000);
      assert.is(binding.readWait(r1), 100_000);
      assert.is(binding.readWait(r1), 100_000);
      assert.equal(full, expected(123, 100_000));
      assert.equal(tail.subarray(0, 50_000), expected(250_000, 50_000));
    });
  });

  test('many reads at once, waited for in any order, each with its own bytes', () => {
    withFile(1 << 20, (fd) => {
      const bufs = Array.from({ length: 64 }, () => new Uint8Array(16_384));
      const reads = bufs.map((buf, i) => binding.readStart(loop, fd, buf, i * 16_000));
      for (let i = reads.length - 1; i >= 0; i -= 2) assert.is(binding.readWait(reads[i]), 16_384);
      for (let i = 0; i < reads.length; i += 2) assert.is(binding.readWait(reads[i]), 16_384);
      bufs.forEach((buf, i) => assert.equal(buf, expected(i * 16_000, 16_384), `read ${i}`));
    });
  });

  test('readTouch writes into the spare buffer only while the read runs, and says how far it got', () => {
    withFile(4 << 20, (fd) => {
      const spare = new Uint8Array(1 << 20).fill(9);
      const r = binding.readStart(loop, fd, new Uint8Array(4 << 20), 0);
      const at = binding.readTouch(r, spare, 0);
      assert.ok(at >= 0 && at <= spare.length && at % 4096 === 0, `touched up to ${at}`);
      for (let p = 0; p < spare.length; p += 4096) assert.is(spare[p], p < at ? 0 : 9);
      assert.is(binding.readWait(r), 4 << 20);
      assert.is(binding.readTouch(r, spare, at), at, 'a finished read touches nothing');
    });
  });

  test('a failed read throws at readWait, shaped like an fs error', () => {
    const r = binding.readStart(loop, -1, new Uint8Array(16), 0);
    let error: (Error & { code?: string; syscall?: string }) | undefined;
    try {
      binding.readWait(r);
    } catch (err) {
      error = err as typeof error;
    }
    assert.is(error?.code, 'EBADF');
    assert.is(error?.syscall, 'read');
  });

  test('bad arguments: TypeError/RangeError, never a crash', () => {
    const isType = (e: Error) => e instanceof TypeError;
    const isRange = (e: Error) => e instanceof RangeError;
    assert.throws(() => binding.readerOpen('10' as unknown as number), isType);
    assert.throws(() => binding.readerOpen(-1), isRange);
    assert.throws(() => binding.readerOpen(2_000_000), isRange);
    assert.throws(() => binding.readStart({}, 1, new Uint8Array(1), 0), isType);
    assert.throws(() => binding.readStart(loop, 'x' as unknown as number, new Uint8Array(1), 0), isType);
    assert.throws(() => binding.readStart(loop, 1, new Uint16Array(1) as unknown as Uint8Array, 0), isType);
    assert.throws(() => binding.readStart(loop, 1, new Uint8Array(1), -1), isRange);
    assert.throws(() => binding.readWait(loop), isType, 'a loop is not a read');
    assert.throws(() => binding.readWait(42), isType);
    assert.throws(() => binding.readTouch({}, new Uint8Array(1), 0), isType);
  });

  test('reads never keep the process alive: a child that never waits for its read exits', async () => {
    const { dir, cleanup } = tempDir('stemedb-reader-');
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, new Uint8Array(1 << 20));
      // The addon file node-gyp-build picks (build/Release, or a prebuild).
      const addon = (createRequire(import.meta.url)('node-gyp-build') as { path: (dir: string) => string }).path(packageRoot);
      const script = `
        const b = require(${JSON.stringify(addon)});
        const fd = require('fs').openSync(${JSON.stringify(file)}, 'r');
        const loop = b.readerOpen(1000);
        const waited = b.readStart(loop, fd, new Uint8Array(1 << 20), 0);
        b.readStart(loop, fd, new Uint8Array(1 << 20), 0);
        console.log('read', b.readWait(waited));`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const code = await within(new Promise<number | null>((r) => child.on('exit', r)), 10_000, 'child exit');
      assert.is(code, 0);
      assert.is(out.trim(), `read ${1 << 20}`);
    } finally {
      cleanup();
    }
  });
}

test.run();
