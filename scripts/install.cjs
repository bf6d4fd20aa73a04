#!/usr/bin/env node
// npm "install" step. A matching prebuild means nothing to compile. Otherwise try
// a source build with node-gyp; if that fails too, the install still succeeds and
// stemedb runs on its WebAssembly backend (one warning line, no failed install).
// STEMEDB_BUILD_FROM_SOURCE=1 always compiles; STEMEDB_SKIP_BUILD=1 never does.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const fs = require('fs');

const root = path.join(__dirname, '..');
const env = process.env;

function prebuildLoads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

function nodeGypCommand() {
  // npm passes its bundled node-gyp; a local devDependency or PATH also works.
  if (env.npm_config_node_gyp && fs.existsSync(env.npm_config_node_gyp)) return [process.execPath, [env.npm_config_node_gyp]];
  try {
    return [process.execPath, [require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })]];
  } catch {
    return ['node-gyp', []];
  }
}

function main() {
  if (env.STEMEDB_SKIP_BUILD === '1') return;
  if (env.STEMEDB_BUILD_FROM_SOURCE !== '1' && prebuildLoads()) return;
  const [cmd, pre] = nodeGypCommand();
  const r = spawnSync(cmd, [...pre, 'rebuild'], { cwd: root, stdio: env.STEMEDB_VERBOSE_BUILD === '1' ? 'inherit' : 'pipe', env });
  if (r.status === 0 && prebuildLoads()) return;
  // A half-written build/ would shadow the prebuilds in node-gyp-build's search order.
  fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
  // node-gyp's last line is only "gyp ERR! not ok"; the "stack Error:" line says what failed.
  const lines = (r.stderr || '').toString().trim().split('\n').filter(Boolean);
  const stack = lines.find((l) => /gyp ERR! stack Error:/.test(l));
  const why = r.error ? r.error.message : stack ? stack.replace(/^gyp ERR! stack Error:\s*/, '') : lines.pop() || `exit ${r.status}`;
  process.stderr.write(
    `stemedb: ${prebuildLoads() ? 'the native build failed' : 'no prebuilt binary and the native build failed'} (${why.slice(0, 160)}); ${backendAfterFailure()}\n`,
  );
}

// Says what actually runs now: with STEMEDB_BUILD_FROM_SOURCE=1 a failed compile
// still leaves the prebuild, which loads (this line used to claim wasm regardless).
function backendAfterFailure() {
  return prebuildLoads() ? 'using the prebuilt binary' : 'using the WebAssembly backend';
}

try {
  main();
} catch (err) {
  process.stderr.write(`stemedb: native setup skipped (${err && err.message}); ${backendAfterFailure()}\n`);
}
process.exit(0);
