// @both-backends — one writer per directory: refused in this process and from another; no stale lock after SIGKILL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';
import { spawnTs, waitForLine } from './helpers/child.js';

test('a second writer in the same process is refused with ELOCKED', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    await rejects(Journal.open(dir), (e) => e.code === 'ELOCKED' && e.message.includes(dir));
    await j.close();
    const again = await Journal.open(dir); // released by close
    await again.close();
  } finally {
    cleanup();
  }
});

test('a writer in another process is refused; SIGKILL of that process leaves no stale lock', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const child = spawnTs('child-locker.ts', [dir]);
    await waitForLine(child, /^locked$/);
    await rejects(Journal.open(dir), (e) => e.code === 'ELOCKED');
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    const j = await Journal.open(dir);
    await j.append(new Uint8Array([1, 2, 3]));
    await j.close();
  } finally {
    cleanup();
  }
});

test('a reader needs no lock and works beside the writer', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    const r = await j.append(new Uint8Array([9]));
    const reader = await Journal.openReader(dir);
    assert.equal(Array.from((await reader.read(r.offset))!.payload), [9]);
    reader.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test.run();
