#!/usr/bin/env node
// `npm run prebuild:host`: builds prebuilds/<platform>-<arch>/stemedb[.glibc|.musl].node
// with prebuildify (N-API, stripped, tagged by libc on Linux), for the running Node
// and architecture. node-gyp-build finds it at run time; no install script needed.
//
// The compile runs in a scratch copy (binding.gyp, native/, scripts/gyp-sources.cjs,
// a link to node_modules), so the developer's build/Release is left as it was and no
// build leftovers appear in the package directory.
//
// Skips the compile when the prebuild is newer than every native source, binding.gyp
// and scripts/gyp-sources.cjs (so test:pack costs nothing when nothing changed); --force
// rebuilds. Not named `prebuild`: npm would run it as a hook before every `npm run build`.
//
// Env: PREBUILD_LIBC=musl|glibc overrides the libc tag (prebuildify otherwise
// detects musl by /etc/alpine-release, like node-gyp-build); npm_config_nodedir is
// passed to node-gyp (set automatically to /usr when the running Node's own headers
// are there, as on machines that cannot download them).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localNodedir } from './node-headers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const argv = process.argv.slice(2);
const force = argv.includes('--force');
const passThrough = argv.filter((a) => a !== '--force');
/** A prebuildify option given as --name=value or --name value (a cross build's --arch/--platform). */
const option = (name) => {
  const i = passThrough.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return passThrough[i].includes('=') ? passThrough[i].slice(name.length + 3) : passThrough[i + 1];
};
// The folder prebuildify writes to names the target, not the machine building it.
const platform = option('platform') ?? process.platform;
const arch = option('arch') ?? process.arch;
const isAlpine = platform === 'linux' && existsSync('/etc/alpine-release');
const libc = platform === 'linux' ? process.env.PREBUILD_LIBC || (isAlpine ? 'musl' : 'glibc') : '';
const outDir = join(root, 'prebuilds', `${platform}-${arch}`);
const target = join(outDir, `stemedb${libc ? '.' + libc : ''}.node`);

function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['native', 'binding.gyp', 'scripts/gyp-sources.cjs']) visit(join(root, p));
  return newest;
}

if (!force && existsSync(target) && statSync(target).mtimeMs > newestSource()) {
  console.log(`prebuild: ${target.slice(root.length + 1)} is up to date (--force to rebuild)`);
  process.exit(0);
}

const env = { ...process.env };
env.JOBS ??= 'max'; // node-gyp: parallel make
if (libc) env.PREBUILD_LIBC = libc;
if (!env.npm_config_nodedir) {
  const dir = localNodedir();
  if (dir) env.npm_config_nodedir = dir;
}

// Scratch copy of what node-gyp needs.
const stage = mkdtempSync(join(tmpdir(), 'stemedb-prebuild-'));
try {
  for (const p of ['package.json', 'binding.gyp', 'native', 'scripts/gyp-sources.cjs']) cpSync(join(root, p), join(stage, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), process.platform === 'win32' ? 'junction' : 'dir');

  const args = [
    require.resolve('prebuildify/bin.js'),
    '--napi',
    '--strip',
    `--target=node@${process.versions.node}`,
    `--out=${root}`,
    ...(platform === 'linux' ? ['--tag-libc'] : []),
    ...passThrough,
  ];
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: stage, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prebuild: prebuildify failed (${r.error ? r.error.message : `exit ${r.status}`})`);
    process.exitCode = 1;
  } else {
    for (const f of readdirSync(outDir)) {
      const st = statSync(join(outDir, f));
      console.log(`prebuild: prebuilds/${platform}-${arch}/${f} (${st.size} bytes, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
