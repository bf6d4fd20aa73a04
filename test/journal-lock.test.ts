// @both-backends — one writer per directory: refused in this process and from another; no stale lock after SIGKILL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, backend } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';
import { rejects } from './helpers/assert.js';
import { execFileSync } from 'node:child_process';
import { lines, spawnTs, waitForLine } from './helpers/child.js';
import { flockBinary } from '../src/io/dir-lock-holder.js';

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

async function retryWhileLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 50) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ELOCKED' || waited >= 3000) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Journal.open that closes a journal it should not have got, so a failing test cannot hang. */
async function openClosingIfOpened(dir: string): Promise<void> {
  const j = await Journal.open(dir);
  await j.close();
}

test('deleting or replacing the LOCK file under a live writer in another process does not let a second writer in', async () => {
  const { dir, cleanup } = tempDir();
  const child = spawnTs('child-locker.ts', [dir]);
  try {
    await waitForLine(child, /^locked$/);
    const lockFiles = () => readdirSync(dir).filter((n) => n.startsWith('LOCK'));
    assert.ok(lockFiles().length > 0);
    for (const f of lockFiles()) rmSync(join(dir, f)); // what an operator does to a "stale lock"
    await rejects(openClosingIfOpened(dir), (e) => e.code === 'ELOCKED', 'after rm LOCK');
    for (const f of lockFiles()) rmSync(join(dir, f));
    writeFileSync(join(dir, 'LOCK'), '');
    await rejects(openClosingIfOpened(dir), (e) => e.code === 'ELOCKED', 'after LOCK was replaced');
  } finally {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  try {
    const j = await Journal.open(dir);
    await j.append(new Uint8Array([1]));
    await j.close();
  } finally {
    cleanup();
  }
});

test('native and wasm writers keep each other out of one directory, both ways', async () => {
  if (!flockBinary()) return void console.log('  skipped: needs flock(1) (Linux)');
  for (const [childBackend, here] of [
    ['wasm', 'native'],
    ['native', 'wasm'],
  ] as const) {
    const { dir, cleanup } = tempDir();
    const child = spawnTs('child-locker.ts', [dir], { STEMEDB_BACKEND: childBackend });
    try {
      await waitForLine(child, /^locked$/);
      for (const f of readdirSync(dir).filter((n) => n.includes('LOCK') || n.startsWith('.writer'))) rmSync(join(dir, f));
      const probe = spawnTs('child-locker.ts', [dir], { STEMEDB_BACKEND: here });
      const out = await lines(probe, (line) => {
        if (line === 'locked') probe.kill('SIGKILL'); // it got in: end it, and fail below
      });
      assert.ok(out.code !== 0 && out.signal === null, `a ${here} writer opened a directory a ${childBackend} writer holds`);
    } finally {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    try {
      // A killed wasm writer's flock goes when its holder process sees the pipe close:
      // milliseconds later, not at once.
      const j = await retryWhileLocked(() => Journal.open(dir));
      await j.close();
    } finally {
      cleanup();
    }
  }
});

test('wasm: a writer whose flock holder process is killed stops writing', async () => {
  if (backend !== 'wasm' || !flockBinary()) return void console.log("  skipped: the flock holder is the wasm backend's, on Linux");
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir);
    await j.append(new Uint8Array([1]));
    const holder = execFileSync('pgrep', ['-f', `flock .* ${dir} sh`], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]!;
    process.kill(Number(holder), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    await rejects(j.append(new Uint8Array([2])), (e) => e.code === 'ELOCKED' && /flock/.test(e.message));
    await j.close().catch(() => {});
  } finally {
    cleanup();
  }
});

test.run();
