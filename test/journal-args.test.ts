// @both-backends — argument checks of recover(), openReader(), iterate()/follow(); typed errors for a file where a journal should be and for a directory no writer has opened; a failed openReader releases its descriptors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, recover } from '../src/index.js';
import { segmentName } from '../src/format/segment.js';
import { tempDir } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';

const isType = (e: Error) => e instanceof TypeError;
const isRange = (e: Error) => e instanceof RangeError;

test('recover() checks the type of every option', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await (await Journal.open(dir)).close();
    await rejects(recover(dir, null as never), isType);
    await rejects(recover(dir, { dryRun: 'yes' as never }), (e) => isType(e) && /dryRun/.test(e.message));
    await rejects(recover(dir, { verifyAll: 1 as never }), (e) => isType(e) && /verifyAll/.test(e.message));
    await rejects(recover(dir, { maxRecordBytes: '5' as never }), (e) => isType(e) && /maxRecordBytes/.test(e.message));
    await rejects(recover(dir, { maxRecordBytes: -1 }), (e) => isRange(e) && /maxRecordBytes/.test(e.message));
    await rejects(recover(dir, { maxRecordBytes: 1.5 }), isRange);
    await rejects(recover(dir, { onProgress: 'x' as never }), (e) => isType(e) && /onProgress/.test(e.message));
    await rejects(recover(dir, { policy: 'fix' as never }), isRange);
    const report = await recover(dir, { dryRun: true, verifyAll: true });
    assert.is(report.corruption.length, 0);
  } finally {
    cleanup();
  }
});

test('openReader() checks pollMs and maxRecordBytes; iterate/follow refuse null options', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    await j.append(new Uint8Array([1]));
    await rejects(Journal.openReader(dir, { pollMs: 0 }), (e) => isRange(e) && /pollMs/.test(e.message));
    await rejects(Journal.openReader(dir, { pollMs: -5 }), isRange);
    await rejects(Journal.openReader(dir, { pollMs: 2.5 }), isRange);
    await rejects(Journal.openReader(dir, { pollMs: '10' as never }), (e) => isType(e) && /pollMs/.test(e.message));
    await rejects(Journal.openReader(dir, { maxRecordBytes: '1' as never }), isType);
    await rejects(Journal.openReader(dir, null as never), isType);
    await rejects(j.iterate(null as never).next(), (e) => isType(e) && /options must be an object/.test(e.message));
    assert.throws(
      () => j.follow(null as never),
      (e: Error) => isType(e),
    );
    assert.throws(
      () => j.follow({ signal: {} as never }),
      (e: Error) => isType(e) && /signal/.test(e.message),
    );
    const reader = await Journal.openReader(dir, { pollMs: 5 });
    await rejects(reader.iterate(null as never).next(), (e) => isType(e) && /options must be an object/.test(e.message));
    assert.throws(
      () => reader.follow(null as never),
      (e: Error) => isType(e),
    );
    let n = 0;
    for await (const r of reader.iterate()) n += r.payload.length;
    assert.is(n, 1);
    reader.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test('Journal.open on a regular file is a typed error (NOT_A_DIRECTORY), not a raw EEXIST', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await rejects(Journal.open(file), (e) => e.code === 'NOT_A_DIRECTORY' && e.message.includes(file));
    await rejects(Journal.openReader(file), (e) => e.code === 'NOT_A_DIRECTORY');
    await rejects(Journal.open(join(file, 'sub')), (e) => e.code === 'NOT_A_DIRECTORY');
  } finally {
    cleanup();
  }
});

test('openReader on a directory no writer has opened is refused at once with NO_JOURNAL', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await rejects(Journal.openReader(dir), (e) => e.code === 'NO_JOURNAL' && e.message.includes(dir));
    await rejects(Journal.openReader(join(dir, 'missing')), (e) => e.code === 'NO_JOURNAL');
    await (await Journal.open(dir)).close();
    const reader = await Journal.openReader(dir);
    assert.is(reader.durableOffset, 0);
    reader.close();
  } finally {
    cleanup();
  }
});

const openFds = () => readdirSync('/proc/self/fd').length;

test('openReader releases every descriptor it opened when a later segment has a bad header', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 1024 });
    for (let i = 0; i < 30; i++) await j.append(new Uint8Array(300).fill(i));
    const end = j.nextOffset;
    await j.close();
    assert.ok(readdirSync(dir).filter((n) => n.endsWith('.wal')).length >= 5);
    // A later segment whose header is garbage (a full header's worth of bytes).
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, segmentName(end + 1_000_000)), Buffer.alloc(64, 0x5a));
    const before = openFds();
    for (let i = 0; i < 20; i++) await rejects(Journal.openReader(dir), (e) => e.code === 'BAD_SEGMENT');
    assert.is(openFds(), before, 'descriptors left open by failed opens');
  } finally {
    cleanup();
  }
});

test.run();
