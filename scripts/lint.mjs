#!/usr/bin/env node
// npm run lint: the formatters' verdict on the tree (prettier for TypeScript and JavaScript,
// clang-format for the addon's C++) plus the type check. `--fix` rewrites instead of checking.
// Exit 1 on any unformatted file; clang-format's binary comes from the npm package (linux x64,
// macOS, Windows) or, elsewhere, from PATH: without one the C++ check fails and says why.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fix = process.argv.includes('--fix');
const require = createRequire(import.meta.url);

function filesUnder(dir, exts) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) out.push(relative(root, p));
  }
  return out;
}

function run(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`lint: ${what}: ${r.error.message}`);
    return false;
  }
  console.log(`lint: ${what}: ${r.status === 0 ? 'ok' : 'FAILED'}`);
  return r.status === 0;
}

function clangFormat() {
  try {
    return require('clang-format').getNativeBinary();
  } catch {
    const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['clang-format'], { encoding: 'utf8' });
    return which.status === 0 ? which.stdout.split('\n')[0].trim() : null;
  }
}

const ts = ['src', 'test', 'benches', 'scripts'].flatMap((d) => filesUnder(join(root, d), ['.ts', '.mjs', '.cjs']));
const cc = filesUnder(join(root, 'native'), ['.cc', '.h']);
const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
let ok = run(`prettier (${ts.length} files)`, process.execPath, [prettier, fix ? '--write' : '--check', '--log-level', 'warn', ...ts]);
const cf = clangFormat();
if (cf === null) {
  console.error(
    `lint: clang-format: no binary for ${process.platform}-${process.arch} in the npm package and none on PATH; install clang-format (15 or later)`,
  );
  ok = false;
} else {
  ok = run(`clang-format (${cc.length} files)`, cf, fix ? ['-i', '--style=file', ...cc] : ['--dry-run', '-Werror', '--style=file', ...cc]) && ok;
}
if (!fix) ok = run('tsc --noEmit', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit']) && ok;
process.exit(ok ? 0 : 1);
