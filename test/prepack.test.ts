// `npm pack` / `npm publish` never ship a package without prebuilt binaries: prepack
// refuses when prebuilds/ is empty, and lists what it packs otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/tmp.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'prepack.mjs');

function prepackIn(setup: (root: string) => void) {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(script, join(dir, 'scripts', 'prepack.mjs'));
    setup(dir);
    return spawnSync(process.execPath, [join(dir, 'scripts', 'prepack.mjs'), '--no-build'], { encoding: 'utf8' });
  } finally {
    cleanup();
  }
}

test('no prebuilds/: refuses to pack', () => {
  const r = prepackIn(() => {});
  assert.is(r.status, 1);
  assert.match(r.stderr, /prebuilds\/ holds no binary; refusing to pack/);
});

test('an empty platform folder is still no prebuild', () => {
  const r = prepackIn((root) => mkdirSync(join(root, 'prebuilds', 'linux-x64'), { recursive: true }));
  assert.is(r.status, 1);
});

test('prebuilds present: packs and lists every one', () => {
  const r = prepackIn((root) => {
    for (const f of ['linux-x64/stemedb.glibc.node', 'linux-x64/stemedb.musl.node', 'win32-x64/stemedb.node']) {
      mkdirSync(join(root, 'prebuilds', dirname(f)), { recursive: true });
      writeFileSync(join(root, 'prebuilds', f), 'x');
    }
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'packing 3 prebuild(s): linux-x64/stemedb.glibc.node, linux-x64/stemedb.musl.node, win32-x64/stemedb.node');
});

test.run();
