#!/usr/bin/env node
// npm's prepack (`npm pack`, `npm publish`): compiles dist/, then makes sure the
// tarball carries prebuilt binaries. On linux-x64 it cross-builds and checks all
// seven targets (scripts/prebuild-all.mjs; cached, so fast when nothing changed);
// elsewhere it packs the prebuilds/ that exist (e.g. downloaded from CI). It
// refuses to pack when prebuilds/ holds no binary at all: such a tarball would
// compile on every install, or fall back to wasm where no compiler exists.
//
//   node scripts/prepack.mjs [--no-build]   (--no-build: no tsc, no prebuild:all; only the check)
// Env: STEMEDB_PREPACK_BUILD=0 is --no-build for the prebuilds only.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const noBuild = process.argv.includes('--no-build');

function step(what, args) {
  console.log(`prepack: ${what}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prepack: ${what} failed; not packing`);
    process.exit(1);
  }
}

if (!noBuild) {
  step('tsc -p tsconfig.build.json', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  if (process.platform === 'linux' && process.arch === 'x64' && process.env.STEMEDB_PREPACK_BUILD !== '0') {
    step('prebuild:all (every target, cross-built with zig, then checked)', [join(root, 'scripts', 'prebuild-all.mjs')]);
  }
}

const dir = join(root, 'prebuilds');
const binaries = existsSync(dir)
  ? readdirSync(dir).flatMap((t) => (statSync(join(dir, t)).isDirectory() ? readdirSync(join(dir, t)).filter((f) => f.endsWith('.node')).map((f) => `${t}/${f}`) : []))
  : [];
if (binaries.length === 0) {
  console.error('prepack: prebuilds/ holds no binary; refusing to pack a package that would compile (or fall back to wasm) on every install.\n' +
    'prepack: run `npm run prebuild:all` (linux-x64) or put the CI artifacts into prebuilds/.');
  process.exit(1);
}
console.log(`prepack: packing ${binaries.length} prebuild(s): ${binaries.sort().join(', ')}`);
