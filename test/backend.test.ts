// Backend choice: native when the addon loads; wasm when forced or when the addon is missing — never a failed import.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/tmp.js';

const helpers = join(dirname(fileURLToPath(import.meta.url)), 'helpers');

function run(env: Record<string, string>, preload: string[] = []): { backend: string; reason: string; io: string; ok: boolean; crc: string; hash: string } {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync(process.execPath, [...preload, '--import', 'tsx', join(helpers, 'child-backend.ts'), dir], {
      env: { ...process.env, ...env }, encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    cleanup();
  }
}

test('default: the native addon, with the native IO', () => {
  const r = run({ STEMEDB_BACKEND: '' });
  assert.is(r.backend, 'native');
  assert.is(r.io, 'native');
  assert.ok(r.ok);
  assert.is(r.crc, 'e3069283');
  assert.is(r.hash, 'af1349b9f5f9a1a6');
});

test('STEMEDB_BACKEND=wasm forces the fallback, and it says so', () => {
  const r = run({ STEMEDB_BACKEND: 'wasm' });
  assert.is(r.backend, 'wasm');
  assert.match(r.reason, /STEMEDB_BACKEND=wasm/);
  assert.is(r.io, 'fs');
  assert.ok(r.ok);
  assert.is(r.crc, 'e3069283');
  assert.is(r.hash, 'af1349b9f5f9a1a6');
});

test('an addon that cannot load: import still works, on wasm, with the reason', () => {
  const r = run({ STEMEDB_BACKEND: '' }, ['--require', join(helpers, 'break-addon.cjs')]);
  assert.is(r.backend, 'wasm');
  assert.match(r.reason, /No native build was found/);
  assert.ok(r.ok);
  assert.is(r.crc, 'e3069283');
});

test('STEMEDB_BACKEND=native makes a missing addon an error instead of a silent fallback', () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync(process.execPath, ['--require', join(helpers, 'break-addon.cjs'), '--import', 'tsx', join(helpers, 'child-backend.ts'), dir], {
      env: { ...process.env, STEMEDB_BACKEND: 'native' }, encoding: 'utf8',
    });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /STEMEDB_BACKEND=native but the addon did not load/);
  } finally {
    cleanup();
  }
});

test.run();
