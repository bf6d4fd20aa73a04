// Backend choice: native when the addon loads; wasm when forced or when the addon is missing — never a failed import.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/tmp.js';

const helpers = join(dirname(fileURLToPath(import.meta.url)), 'helpers');

interface Warning {
  type: string;
  code?: string;
  message: string;
}
interface ChildReport {
  backend: string;
  reason: string;
  io: string;
  impl: { crc32c: string; blake3: string };
  ok: boolean;
  crc: string;
  hash: string;
  warnings: Warning[];
}

function run(env: Record<string, string>, preload: string[] = []): ChildReport {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync(process.execPath, [...preload, '--import', 'tsx', join(helpers, 'child-backend.ts'), dir], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
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
  assert.equal(r.warnings, [], 'no warning on the native backend');
});

test('STEMEDB_BACKEND=wasm forces the fallback, and it says so', () => {
  const r = run({ STEMEDB_BACKEND: 'wasm' });
  assert.is(r.backend, 'wasm');
  assert.match(r.reason, /STEMEDB_BACKEND=wasm/);
  assert.is(r.io, 'fs');
  assert.ok(r.ok);
  assert.is(r.crc, 'e3069283');
  assert.is(r.hash, 'af1349b9f5f9a1a6');
  assert.equal(r.warnings, [], 'the fallback chosen on purpose is quiet');
  assert.is(r.impl.crc32c, 'hash-wasm', 'after Journal.open the wasm paths run');
});

test('an addon that cannot load: import still works, on wasm, with the reason', () => {
  const r = run({ STEMEDB_BACKEND: '' }, ['--require', join(helpers, 'break-addon.cjs')]);
  assert.is(r.backend, 'wasm');
  assert.match(r.reason, /No native build was found/);
  assert.ok(r.ok);
  assert.is(r.crc, 'e3069283');
  // The fallback is never silent: one warning for the whole process, saying why and how to fix it.
  assert.is(r.warnings.length, 1, JSON.stringify(r.warnings));
  const w = r.warnings[0]!;
  assert.is(w.type, 'StemedbWarning');
  assert.is(w.code, 'STEMEDB_WASM_FALLBACK');
  assert.match(w.message, /No native build was found for platform=test/);
  assert.match(w.message, /npm rebuild stemedb --foreground-scripts/);
  assert.match(w.message, /STEMEDB_BACKEND=wasm/);
});

test('STEMEDB_BACKEND=native makes a missing addon an error instead of a silent fallback', () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync(process.execPath, ['--require', join(helpers, 'break-addon.cjs'), '--import', 'tsx', join(helpers, 'child-backend.ts'), dir], {
      env: { ...process.env, STEMEDB_BACKEND: 'native' },
      encoding: 'utf8',
    });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /STEMEDB_BACKEND=native but the addon did not load/);
  } finally {
    cleanup();
  }
});

test.run();
