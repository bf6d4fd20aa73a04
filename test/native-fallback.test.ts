// A binary that exists but does not load (dlopen fails: wrong libc, a glibc too
// old, an untested macOS build) never breaks the import: the next binary that
// loads is used, else the wasm backend, with one StemedbWarning naming the file
// and the loader's error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadAddonFrom, packageRoot } from '../src/native/binding.js';
import { tempDir } from './helpers/tmp.js';

const require = createRequire(import.meta.url);
const prebuildDir = `prebuilds/${process.platform}-${process.arch}`;

/** Runs fn and returns what it returned plus every warning it emitted. */
async function withWarnings<T>(fn: () => T): Promise<{ value: T; warnings: Error[] }> {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const value = fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    return { value, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

function place(root: string, rel: string, content: Buffer | string) {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  if (typeof content === 'string') copyFileSync(content, join(root, rel));
  else writeFileSync(join(root, rel), content);
}

const garbage = Buffer.from('not a shared object\n');
/** Paths in messages use the platform's separator: compare with '/'. */
const slashes = (s: string) => s.split('\\').join('/');

test('a prebuild that fails to load: wasm, one warning naming the file and the error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    place(dir, `${prebuildDir}/stemedb.node`, garbage);
    const { value, warnings } = await withWarnings(() => loadAddonFrom(dir));
    assert.is(value.binding, null);
    assert.match(slashes(value.reason), `${prebuildDir}/stemedb.node`);
    assert.is(warnings.length, 1);
    const w = warnings[0] as Error & { code?: string };
    assert.is(w.name, 'StemedbWarning');
    assert.is(w.code, 'STEMEDB_PREBUILD_LOAD_FAILED');
    assert.match(slashes(w.message), `${prebuildDir}/stemedb.node`);
    // Linux, Windows (wine says "Bad EXE format"), macOS
    assert.match(w.message, /invalid ELF header|not a valid Win32|Bad EXE format|slice is not valid mach-o|file too short|not a mach-o/i);
    assert.match(w.message, /using the WebAssembly backend/);
  } finally {
    cleanup();
  }
});

test('a source build that fails to load: the matching prebuild is used, with one warning', async () => {
  const real = (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
  const { dir, cleanup } = tempDir();
  try {
    place(dir, 'build/Release/stemedb.node', garbage);
    place(dir, `${prebuildDir}/stemedb.node`, real);
    const { value, warnings } = await withWarnings(() => loadAddonFrom(dir));
    assert.ok(value.binding, value.reason);
    assert.is(value.file, join(dir, prebuildDir, 'stemedb.node'));
    assert.is(value.binding!.crc32c(new TextEncoder().encode('123456789'), 0), 0xe3069283);
    assert.is(warnings.length, 1);
    assert.is((warnings[0] as Error & { code?: string }).code, 'STEMEDB_BUILD_LOAD_FAILED');
    assert.match(slashes(warnings[0]!.message), /build\/Release\/stemedb\.node/);
    assert.match(slashes(warnings[0]!.message), `using ${prebuildDir}/stemedb.node`);
  } finally {
    cleanup();
  }
});

test('a binary that loads: no warning', async () => {
  const real = (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
  const { dir, cleanup } = tempDir();
  try {
    place(dir, `${prebuildDir}/stemedb.node`, real);
    const { value, warnings } = await withWarnings(() => loadAddonFrom(dir));
    assert.ok(value.binding);
    assert.is(warnings.length, 0);
  } finally {
    cleanup();
  }
});

test("no binary at all: wasm with node-gyp-build's reason, no warning", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { value, warnings } = await withWarnings(() => loadAddonFrom(dir));
    assert.is(value.binding, null);
    assert.match(value.reason, /No native build was found/);
    assert.is(warnings.length, 0);
  } finally {
    cleanup();
  }
});

test.run();
