#!/usr/bin/env node
// `prepack` (run by `npm pack` and `npm publish`): the tarball carries every prebuild
// that exists, each one checked, and a fresh dist/; it refuses to pack with none.
//
//  1. On linux-x64, where the zig package runs, `prebuild:all` builds the seven targets
//     (objects and links are cached, so this takes seconds when nothing changed).
//     STEMEDB_PREPACK_BUILD=0 skips it: CI's pack job packs the prebuilds it downloaded,
//     test:pack packs the ones it has just built. Elsewhere prebuilds/ is taken as found.
//  2. Every binary in prebuilds/ must be one of the seven targets and pass the binary
//     checks of scripts/prebuild-all/check.mjs (glibc <= 2.17, no C++ runtime, only the
//     N-API entry points exported, ...): a GCC build of this machine's glibc, say, is
//     refused rather than shipped. No prebuild at all is refused. Missing targets are
//     listed (a tarball without them falls back to a source build or wasm there).
//  3. `build:ts`.
//
//   node scripts/prepack.mjs [--prebuilds DIR]   (DIR: check another folder; test:pack uses it)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './prebuild-all/targets.mjs';
import { checkBinary } from './prebuild-all/check.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirArg = args.indexOf('--prebuilds');
const prebuilds = dirArg >= 0 ? args[dirArg + 1] : join(root, 'prebuilds');

function refuse(message) {
  console.error(`prepack: refusing to pack: ${message}`);
  process.exit(1);
}

function node(script, argv) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', script), ...argv], { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

if (dirArg < 0 && process.env.STEMEDB_PREPACK_BUILD !== '0' && process.platform === 'linux' && process.arch === 'x64') {
  if (!node('prebuild-all.mjs', [])) refuse('`npm run prebuild:all` failed (STEMEDB_PREPACK_BUILD=0 packs prebuilds/ as found, checked)');
}

const found = existsSync(prebuilds)
  ? readdirSync(prebuilds, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.node'))
      .map((f) => f.split('\\').join('/'))
  : [];
const known = new Map(TARGETS.map((t) => [`${t.dir}/${t.file}`, t]));
const unknown = found.filter((f) => !known.has(f));
if (unknown.length) refuse(`prebuilds/ holds binaries that are none of the seven targets: ${unknown.join(', ')}`);
if (!found.length)
  refuse(
    `no prebuilds in ${relative(root, prebuilds) || prebuilds}: run \`npm run prebuild:all\` (all seven targets, linux-x64 only) or \`npm run prebuild:host\` (this platform)`,
  );

const bad = [];
for (const rel of found.sort()) {
  const problems = checkBinary(join(prebuilds, rel), known.get(rel));
  console.log(`prepack: ${problems.length ? 'FAIL' : 'ok  '} prebuilds/${rel}${problems.map((p) => `\n          ${p}`).join('')}`);
  if (problems.length) bad.push(rel);
}
if (bad.length) refuse(`${bad.length} prebuild(s) fail the binary checks: ${bad.join(', ')}`);
const missing = TARGETS.filter((t) => !found.includes(`${t.dir}/${t.file}`)).map((t) => t.name);
if (missing.length)
  console.log(`prepack: packing ${found.length} of ${TARGETS.length} targets; missing: ${missing.join(', ')} (they fall back to a source build or wasm)`);
else console.log(`prepack: packing all ${TARGETS.length} targets`);

if (dirArg < 0) {
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, 'run', 'build:ts'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) refuse('build:ts failed');
}
