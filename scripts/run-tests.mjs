#!/usr/bin/env node
// Runs each test/*.test.ts in its own process (uvu has no timeouts and open
// handles keep a runner alive, so isolation and a per-file limit matter), runs
// files marked `// @both-backends` a second time with STEMEDB_BACKEND=wasm, and
// ends with one line "N passed, N failed" from uvu's own per-file counts.
// Usage: node scripts/run-tests.mjs [filter...]   (env: TEST_TIMEOUT_S, TEST_JOBS, and
// TEST_NODE: a JSON array run in place of this Node, e.g. another platform's Node under
// qemu or wine, and TEST_ROOT: a staged copy whose tests are already compiled to .js,
// run without tsx, as scripts/test-platforms.mjs does)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.TEST_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = Boolean(process.env.TEST_ROOT);
const timeoutMs = Number(process.env.TEST_TIMEOUT_S ?? 600) * 1000;
const jobs = Math.max(1, Number(process.env.TEST_JOBS ?? 2));
const filters = process.argv.slice(2);
const forced = process.env.STEMEDB_BACKEND;
const nodeCommand = process.env.TEST_NODE ? JSON.parse(process.env.TEST_NODE) : [process.execPath];

const files = readdirSync(join(root, 'test'))
  .filter((f) => f.endsWith(compiled ? '.test.js' : '.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const runs = [];
for (const f of files) {
  // A compiled copy keeps the .ts beside the .js: esbuild drops the marker comment.
  const both = readFileSync(join(root, 'test', compiled ? f.replace(/\.js$/, '.ts') : f), 'utf8').includes('@both-backends');
  runs.push({ file: f, backend: forced ?? 'default' });
  if (both && !forced) runs.push({ file: f, backend: 'wasm' });
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runOne({ file, backend }) {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    if (backend === 'wasm') env.STEMEDB_BACKEND = 'wasm';
    const started = Date.now();
    const child = spawn(nodeCommand[0], [...nodeCommand.slice(1), ...(compiled ? [] : ['--import', 'tsx']), join('test', file)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      let p = 0;
      let f = 0;
      if (Number.isFinite(total) && Number.isFinite(passed)) {
        p = passed;
        f = total - passed; // uvu's Total leaves out skipped tests (its Skipped line counts them)
        if (code !== 0 && f === 0) f = 1; // crashed after its summary, or exit code says so
      } else {
        f = 1; // no summary: the file crashed or hung
      }
      resolve({ file, backend, code, timedOut, passed: p, failed: f, text, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < runs.length) {
    const r = await runOne(runs[next++]);
    results.push(r);
    const tag = r.backend === 'default' ? '' : ` [${r.backend}]`;
    const status = r.failed ? 'FAIL' : 'ok  ';
    console.log(`${status} ${r.file}${tag}: ${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)${r.timedOut ? ' TIMED OUT' : ''}`);
    if (r.failed)
      console.log(
        r.text
          .split('\n')
          .map((l) => '     | ' + l)
          .join('\n'),
      );
    // A file that cannot run here (e.g. no PostgreSQL binaries) says so in one `skipped: ...` line.
    else for (const l of r.text.split('\n')) if (l.startsWith('skipped: ')) console.log(`     ${l}`);
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, worker));

const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
