/**
 * The native IO part of the addon (native/io/) and its JournalIO adapter
 * (src/io/native.ts).
 *
 *   npx tsx test/io-native.test.ts
 *
 * The addon comes from loadBinding(); IO_ADDON_PATH=/path/to/addon.node
 * overrides it (a standalone build of native/io). This file doubles as the
 * child process of the lock tests: with STEMEDB_IO_LOCK_CHILD=<path> set it
 * takes that lock, prints "locked" and waits until killed or stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { encodeWatermark } from '../src/format/watermark.js';
import { createNativeIO, type NativeIoBinding } from '../src/io/native.js';
import type { JournalIO } from '../src/io/types.js';
import { loadBinding } from '../src/native/binding.js';

const SELF = fileURLToPath(import.meta.url);
const CHILD_ENV = 'STEMEDB_IO_LOCK_CHILD';

function getBinding(): NativeIoBinding | null {
  const override = process.env.IO_ADDON_PATH;
  if (override) return createRequire(import.meta.url)(path.resolve(override)) as NativeIoBinding;
  return loadBinding() as NativeIoBinding | null;
}

// ---------------------------------------------------------------- helpers

/** Bitwise CRC32C (Castagnoli), the reference for the watermark check. */
function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function expectedWatermark(value: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(BigInt(value), 0);
  out.writeUInt32LE(crc32c(out.subarray(0, 8)), 8);
  out.write('SDWM', 12, 'latin1');
  return out;
}

/** Deterministic bytes. */
function pattern(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: unknown; errno?: unknown; syscall?: unknown }> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, Error);
    return err as Error & { code?: unknown };
  }
  throw new Error('expected the promise to reject');
}

/** fn throws an instance of cls. */
function throwsA(fn: () => unknown, cls: new (...args: never[]) => Error): void {
  assert.instance(thrown(fn), cls);
}

function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn();
  } catch (err) {
    assert.instance(err, Error);
    return err as Error & { code?: unknown };
  }
  throw new Error('expected a throw');
}

/** Starts this file as a child that holds the lock on `lockPath`; resolves once it printed "locked". */
function spawnLockHolder(lockPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, SELF], {
    env: { ...process.env, [CHILD_ENV]: lockPath },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lock child did not report "locked" in time (output: ${out})`));
    }, 30_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('locked')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`lock child exited early (${code ?? signal}); output: ${out}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// ---------------------------------------------------------------- child mode

function runLockChild(lockPath: string): void {
  const b = getBinding();
  if (!b) {
    console.error('lock child: native addon not available');
    process.exit(2);
  }
  b.lock(lockPath);
  process.stdout.write('locked\n');
  process.stdin.resume(); // keeps the process alive; exits when the parent closes stdin
  process.stdin.on('end', () => process.exit(0));
}

// ---------------------------------------------------------------- tests

function defineTests(b: NativeIoBinding): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stemedb-io-native-'));
  const io: JournalIO = createNativeIO(b);
  let n = 0;
  const file = (name = 'f') => path.join(dir, `${name}-${n++}`);
  const openFds = new Set<number>();
  const open = (p: string, flags: string | number = 'w+') => {
    const fd = fs.openSync(p, flags);
    openFds.add(fd);
    return fd;
  };
  const close = (fd: number) => {
    fs.closeSync(fd);
    openFds.delete(fd);
  };
  const children = new Set<ChildProcess>();

  test.after(() => {
    for (const fd of openFds) fs.closeSync(fd);
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('crc32c reference (known answer)', () => {
    assert.is(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('writev: more small buffers than IOV_MAX, synced, round trip', async () => {
    const p = file();
    const fd = open(p);
    const bufs: Buffer[] = [];
    for (let i = 0; i < 3000; i++) bufs.push(pattern(1 + (i % 37), i));
    const total = bufs.reduce((s, x) => s + x.length, 0);
    const written = await b.writev(fd, bufs, 0, true, -1, null);
    assert.is(written, total);
    close(fd);
    assert.ok(Buffer.concat(bufs).equals(fs.readFileSync(p)));
  });

  test('writev: large buffers', async () => {
    const p = file();
    const fd = open(p);
    const bufs = [pattern(16 << 20, 1), pattern(3, 2), pattern((8 << 20) + 12345, 3)];
    const total = bufs.reduce((s, x) => s + x.length, 0);
    assert.is(await b.writev(fd, bufs, 0, true, -1, null), total);
    close(fd);
    assert.ok(Buffer.concat(bufs).equals(fs.readFileSync(p)));
  });

  test('writev: position is respected; views with byteOffset; empty pieces', async () => {
    const p = file();
    const fd = open(p);
    assert.is(await b.writev(fd, [Buffer.from('AAAA')], 0, false, -1, null), 4);
    assert.is(await b.writev(fd, [Buffer.from('BB')], 10, false, -1, null), 2);
    const big = Buffer.from('xxxxHELLOxxxx');
    const view = big.subarray(4, 9); // byteOffset 4
    const u16 = new Uint16Array([0x4241]); // bytes 'A','B' (little endian)
    const empty = new Uint8Array(0);
    assert.is(await b.writev(fd, [empty, view, empty, new Uint8Array(u16.buffer), empty], 1, true, -1, null), 7);
    assert.is(await b.writev(fd, [], 0, true, -1, null), 0);
    close(fd);
    const got = fs.readFileSync(p);
    const want = Buffer.concat([Buffer.from('AHELLOAB'), Buffer.alloc(2), Buffer.from('BB')]);
    assert.is(got.toString('hex'), want.toString('hex'));
  });

  test('writev: large unsynced writes (writeback started early) at unaligned positions keep every byte', async () => {
    // Unsynced writes of >= 64 KiB also start writeback of their whole pages
    // (sync_file_range on Linux); a wrong page range would reject with EINVAL.
    const p = file();
    const fd = open(p);
    const parts = [pattern(65536, 7), pattern(65535 + 4096, 8), pattern(3, 9), pattern(200_001, 10), pattern(65536, 11)];
    let pos = 1;
    for (const part of parts) {
      assert.is(await b.writev(fd, [part.subarray(0, 17), part.subarray(17)], pos, false, -1, null), part.length);
      pos += part.length;
    }
    await b.fsync(fd);
    close(fd);
    assert.ok(Buffer.concat([Buffer.alloc(1), ...parts]).equals(fs.readFileSync(p)));
  });

  test('writev: concurrent calls at distinct positions', async () => {
    const p = file();
    const fd = open(p);
    const parts = Array.from({ length: 64 }, (_, i) => pattern(4096, 100 + i));
    const results = await Promise.all(parts.map((x, i) => b.writev(fd, [x.subarray(0, 100), x.subarray(100)], i * 4096, i % 2 === 0, -1, null)));
    assert.ok(results.every((r) => r === 4096));
    close(fd);
    assert.ok(Buffer.concat(parts).equals(fs.readFileSync(p)));
  });

  test('writev: watermark record bytes are exact', async () => {
    const p = file();
    const wmPath = file('durable');
    fs.writeFileSync(wmPath, Buffer.alloc(40, 0xee)); // longer than a record: only 0..16 change
    const fd = open(p);
    const wm = open(wmPath, 'r+');
    for (const value of [0, 1, 123456, 2 ** 32 + 7, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      assert.is(await b.writev(fd, [Buffer.from('rec')], 0, true, wm, encodeWatermark(value)), 3);
      const got = fs.readFileSync(wmPath);
      assert.is(got.subarray(0, 16).toString('hex'), expectedWatermark(value).toString('hex'), `value ${value}`);
      assert.ok(got.subarray(16).equals(Buffer.alloc(24, 0xee)));
    }
    // Published without a sync as well (the caller decides).
    await b.writev(fd, [Buffer.from('x')], 3, false, wm, encodeWatermark(99));
    assert.ok(fs.readFileSync(wmPath).subarray(0, 16).equals(expectedWatermark(99)));
    close(fd);
    close(wm);
  });

  test('writev/fsync on a closed or invalid fd reject with EBADF', async () => {
    const fd = open(file());
    close(fd);
    const e1 = await rejection(b.writev(fd, [Buffer.from('x')], 0, true, -1, null));
    assert.is(e1.code, 'EBADF');
    assert.is(e1.syscall, 'pwritev');
    assert.type(e1.errno, 'number');
    assert.match(e1.message, /EBADF/);
    const e2 = await rejection(b.writev(-1, [Buffer.from('x')], 0, false, -1, null));
    assert.is(e2.code, 'EBADF');
    const e3 = await rejection(b.fsync(fd));
    assert.is(e3.code, 'EBADF');
    assert.is(e3.syscall, 'fdatasync');
    const e4 = await rejection(io.writev(fd, [Buffer.from('x')], 0, true));
    assert.is(e4.code, 'EBADF');
  });

  test('writev on a read-only fd rejects with an errno code', async () => {
    const p = file();
    fs.writeFileSync(p, 'data');
    const fd = open(p, 'r');
    const e = await rejection(b.writev(fd, [Buffer.from('x')], 0, true, -1, null));
    assert.type(e.code, 'string');
    assert.match(String(e.code), /^E[A-Z]+$/);
    assert.is(e.syscall, 'pwritev');
    close(fd);
    assert.is(fs.readFileSync(p, 'utf8'), 'data');
  });

  test('ENOSPC (via /dev/full where it exists) says the disk is full', async () => {
    if (!fs.existsSync('/dev/full')) return;
    const fd = open('/dev/full', 'w');
    const e = await rejection(b.writev(fd, [Buffer.from('abc')], 0, true, -1, null));
    assert.is(e.code, 'ENOSPC');
    assert.is(e.syscall, 'pwritev');
    assert.match(e.message, /disk is full/);
    close(fd);
  });

  test('watermark write failure rejects with syscall pwrite', async () => {
    const p = file();
    const wmPath = file('durable');
    fs.writeFileSync(wmPath, '');
    const fd = open(p);
    const wmRo = open(wmPath, 'r');
    const e = await rejection(b.writev(fd, [Buffer.from('abc')], 0, true, wmRo, encodeWatermark(5)));
    assert.match(String(e.code), /^E[A-Z]+$/);
    assert.is(e.syscall, 'pwrite');
    close(fd);
    close(wmRo);
  });

  test('bad arguments throw TypeError/RangeError and never crash', async () => {
    const fd = open(file());
    const ok = [Buffer.from('x')];
    const cases: Array<[unknown[], ErrorConstructor]> = [
      [['3', ok, 0, true, -1, null], TypeError], // string fd
      [[null, ok, 0, true, -1, null], TypeError],
      [[1.5, ok, 0, true, -1, null], RangeError], // fractional fd
      [[fd, 'abc', 0, true, -1, null], TypeError], // not an array
      [[fd, Buffer.from('x'), 0, true, -1, null], TypeError], // a buffer, not an array of them
      [[fd, { length: 1, 0: ok[0] }, 0, true, -1, null], TypeError], // array-like
      [[fd, [ok[0], 'str'], 0, true, -1, null], TypeError], // array containing a string
      [[fd, [ok[0], new ArrayBuffer(4)], 0, true, -1, null], TypeError], // bare ArrayBuffer
      [[fd, [undefined], 0, true, -1, null], TypeError],
      [[fd, ok, -1, true, -1, null], RangeError], // negative position
      [[fd, ok, 1.5, true, -1, null], RangeError], // fractional position
      [[fd, ok, 2 ** 53, true, -1, null], RangeError], // not a safe integer
      [[fd, ok, Number.MAX_SAFE_INTEGER, true, -1, null], RangeError], // end past the largest offset
      [[fd, ok, NaN, true, -1, null], RangeError],
      [[fd, ok, Infinity, true, -1, null], RangeError],
      [[fd, ok, '0', true, -1, null], TypeError],
      [[fd, ok, 0n, true, -1, null], TypeError],
      [[fd, ok, 0, 'yes', -1, null], TypeError],
      [[fd, ok, 0, true, '-1', 0], TypeError],
      [[fd, ok, 0, true, 0.5, 0], RangeError],
      [[fd, ok, 0, true, -1, Buffer.alloc(16)], TypeError], // a record without a watermark fd
      [[fd, ok, 0, true, fd, null], TypeError], // a watermark fd without its record
      [[fd, ok, 0, true, fd, 5], TypeError], // a value, not the encoded record
      [[fd, ok, 0, true, fd, new Uint16Array(8)], TypeError],
      [[fd, ok, 0, true, fd, Buffer.alloc(15)], RangeError], // not 16 bytes
      [[fd, ok, 0, true, fd, Buffer.alloc(17)], RangeError],
      [[fd, ok], TypeError], // missing arguments
      [[], TypeError],
    ];
    const writev = b.writev as (...args: unknown[]) => Promise<number>;
    for (const [args, ctor] of cases) {
      const e = thrown(() => writev(...args));
      assert.instance(e, ctor, `${ctor.name} for ${String(args[0])}, ${String(args[2])}`);
      assert.match(String(e.code), /^ERR_/);
    }
    // Through the adapter the same errors arrive as rejections.
    const ioWritev = io.writev as (...args: unknown[]) => Promise<number>;
    assert.instance(await rejection(ioWritev(fd, ok, -1, true)), RangeError);
    assert.instance(await rejection(ioWritev(fd, [42], 0, true)), TypeError);

    const fsync = b.fsync as (...args: unknown[]) => Promise<void>;
    throwsA(() => fsync('1'), TypeError);
    throwsA(() => fsync(2.5), RangeError);
    const fsyncDir = b.fsyncDir as (...args: unknown[]) => Promise<void>;
    throwsA(() => fsyncDir(1), TypeError);
    throwsA(() => fsyncDir(''), TypeError);
    throwsA(() => fsyncDir('a\0b'), TypeError);
    const lock = b.lock as (...args: unknown[]) => number;
    throwsA(() => lock(undefined), TypeError);
    const unlock = b.unlock as (...args: unknown[]) => void;
    throwsA(() => unlock('1'), TypeError);
    assert.is(thrown(() => unlock(987654)).code, 'EBADF');
    assert.is(thrown(() => unlock(-1)).code, 'EBADF');
    // Still alive and working.
    assert.is(await b.writev(fd, ok, 0, true, -1, null), 1);
    close(fd);
  });

  test('fsync and fsyncDir', async () => {
    const fd = open(file());
    await b.writev(fd, [Buffer.from('abc')], 0, false, -1, null);
    assert.is(await b.fsync(fd), undefined);
    assert.is(await io.fsync(fd), undefined);
    close(fd);
    assert.is(await b.fsyncDir(dir), undefined);
    assert.is(await io.fsyncDir(dir), undefined);
    const e = await rejection(b.fsyncDir(path.join(dir, 'missing')));
    assert.is(e.code, 'ENOENT');
    assert.is(e.syscall, 'open');
  });

  test('lock: second lock in the same process is ELOCKED; unlock frees it', () => {
    const p = file('LOCK');
    const h = b.lock(p);
    assert.type(h, 'number');
    assert.is(fs.readFileSync(p, 'utf8').trim(), String(process.pid));
    const e = thrown(() => b.lock(p));
    assert.is(e.code, 'ELOCKED');
    assert.ok(e.message.includes(p), e.message);
    assert.is(thrown(() => io.lock(p)).code, 'ELOCKED');
    b.unlock(h);
    assert.is(thrown(() => b.unlock(h)).code, 'EBADF'); // a handle is released once
    const h2 = io.lock(p);
    io.unlock(h2);
    // A missing parent directory is a plain errno error, not ELOCKED.
    assert.is(thrown(() => b.lock(path.join(dir, 'no', 'LOCK'))).code, 'ENOENT');
  });

  test('lock held by a child process is ELOCKED; after SIGKILL it is free (no stale lock)', async () => {
    const p = file('LOCK');
    const child = await spawnLockHolder(p);
    children.add(child);
    try {
      const e = thrown(() => b.lock(p));
      assert.is(e.code, 'ELOCKED');
      assert.ok(e.message.includes(String(child.pid)), e.message); // names the holder
      child.kill('SIGKILL');
      await waitExit(child);
      const h = b.lock(p);
      assert.is(fs.readFileSync(p, 'utf8').trim(), String(process.pid));
      b.unlock(h);
    } finally {
      child.kill('SIGKILL');
      await waitExit(child);
      children.delete(child);
    }
  });

  test('adapter: open modes, size, pread, truncate, rename, unlink, readdir', () => {
    const sub = path.join(dir, 'a', 'b');
    io.mkdirp(sub);
    io.mkdirp(sub); // idempotent
    assert.ok(io.exists(sub));
    const p = path.join(sub, 'seg');
    assert.is(thrown(() => io.open(p, 'rw')).code, 'ENOENT');
    assert.is(thrown(() => io.open(p, 'r')).code, 'ENOENT');
    const fd = io.open(p, 'create-new');
    openFds.add(fd);
    assert.is(thrown(() => io.open(p, 'create-new')).code, 'EEXIST');
    fs.writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
    assert.is(io.size(fd), 10);
    const buf = Buffer.alloc(8);
    assert.is(io.pread(fd, buf, 0), 8);
    assert.is(buf.toString(), '01234567');
    assert.is(io.pread(fd, buf, 6), 4); // short only at EOF
    assert.is(buf.subarray(0, 4).toString(), '6789');
    assert.is(io.pread(fd, buf, 100), 0);
    io.truncate(fd, 4);
    assert.is(io.size(fd), 4);
    io.close(fd);
    openFds.delete(fd);
    assert.is(thrown(() => io.size(fd)).code, 'EBADF');

    const fd2 = io.open(p, 'create'); // exists: not truncated
    assert.is(io.size(fd2), 4);
    io.close(fd2);
    const ro = io.open(p, 'r');
    assert.is(io.size(ro), 4);
    io.close(ro);

    const q = path.join(sub, 'seg2');
    io.rename(p, q);
    assert.ok(!io.exists(p));
    assert.equal(io.readdir(sub), ['seg2']);
    io.unlink(q);
    assert.equal(io.readdir(sub), []);
    assert.is(thrown(() => io.unlink(q)).code, 'ENOENT');
    assert.is(thrown(() => io.readdir(path.join(dir, 'missing'))).code, 'ENOENT');
    assert.is(io.name, 'native');
  });

  test('adapter: writev passes the watermark through', async () => {
    const seg = io.open(file(), 'create');
    openFds.add(seg);
    const wmPath = file('durable');
    const wm = io.open(wmPath, 'create');
    openFds.add(wm);
    assert.is(await io.writev(seg, [Buffer.from('hello')], 0, true, { fd: wm, record: encodeWatermark(5) }), 5);
    assert.ok(fs.readFileSync(wmPath).equals(expectedWatermark(5)));
    io.close(seg);
    io.close(wm);
    openFds.delete(seg);
    openFds.delete(wm);
  });
}

// ---------------------------------------------------------------- main

const childLock = process.env[CHILD_ENV];
if (childLock) {
  runLockChild(childLock);
} else {
  const binding = getBinding();
  if (!binding) {
    console.log('io-native: native addon not available (npm run build:native, or STEMEDB_BACKEND=native to make this an error); skipping');
  } else if (typeof binding.writev !== 'function' || typeof binding.lock !== 'function') {
    test('addon exports the IO functions', () => {
      assert.unreachable('the loaded addon has no lock/writev: is InitIo called from native/addon.cc?');
    });
  } else {
    defineTests(binding);
  }
  test.run();
}
