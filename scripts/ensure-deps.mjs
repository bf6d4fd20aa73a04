#!/usr/bin/env node
// Before tests and benches: npm here may skip dependencies' install scripts
// (allowScripts, --ignore-scripts, pnpm), so build what they would have built:
// our addon (build/Release) and better-sqlite3. Each is built only if it does
// not load, so a second run costs nothing.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
// node-gyp cannot download headers here; the machine's own are at /usr/include/node.
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
const gypArgs = (extra) => [nodeGyp, 'rebuild', ...extra, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];

function loads(fn) {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function build(name, cwd, extra = []) {
  process.stderr.write(`ensure-deps: building ${name} (its install script did not run)...\n`);
  const r = spawnSync(process.execPath, gypArgs(extra), { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`ensure-deps: building ${name} failed (exit ${r.status})\n`);
    process.exitCode = 1;
  }
}

if (process.env.STEMEDB_BACKEND !== 'wasm' && !existsSync(join(root, 'build', 'Release', 'stemedb.node'))) build('the stemedb addon', root);
const bsqDir = dirname(require.resolve('better-sqlite3/package.json'));
if (!loads(() => new (require('better-sqlite3'))(':memory:').close())) build('better-sqlite3', bsqDir, ['--release']);
