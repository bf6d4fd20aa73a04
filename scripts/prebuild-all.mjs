#!/usr/bin/env node
// `npm run prebuild:all`: cross-builds the addon for every shipped target with zig
// (see scripts/prebuild-all/targets.mjs) into prebuilds/<platform>-<arch>/, stripped,
// then checks each binary (scripts/prebuild-all/check.mjs: architecture, glibc
// symbol versions <= 2.17, no C++ runtime dependency, only the N-API entry points
// exported). Runs on linux-x64 only (where the zig package runs).
//
//   node scripts/prebuild-all.mjs [target-name-fragment...] [--check-only] [--jobs=N]
//
// Objects are cached by content (source, every native header, flags, target, zig
// version) under the stemedb cache dir, so only what changed recompiles; zig's
// own cache (libc++ per target) sits beside it. At most PREBUILD_JOBS (default 2)
// compiler processes run at once.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, zig, ZIG_VERSION } from './prebuild-all/toolchain.mjs';
import { NAPI_ENTRY_POINTS, compileFlags, linkFlags, selectTargets } from './prebuild-all/targets.mjs';
import { writeNodeDef } from './prebuild-all/node-imports.mjs';
import { checkBinary } from './prebuild-all/check.mjs';
import { nodeIncludeDir } from './node-headers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const checkOnly = args.includes('--check-only');
const jobs = Math.max(1, Number(args.find((a) => a.startsWith('--jobs='))?.slice(7) ?? process.env.PREBUILD_JOBS ?? 2));
const targets = selectTargets(args.filter((a) => !a.startsWith('--')));
const outPath = (t) => join(root, 'prebuilds', t.dir, t.file);

function listNative(dir, ext) {
  const out = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...listNative(rel, ext));
    else if (e.name.endsWith(ext)) out.push(rel);
  }
  return out.sort();
}

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => resolve({ status: -1, out: err.message }));
    child.on('close', (status) => resolve({ status, out }));
  });
}

/** Runs async tasks with at most `n` in flight; resolves to their results in order. */
async function pool(tasks, n) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return results;
}

function report(results) {
  let bad = 0;
  for (const t of targets) {
    const file = outPath(t);
    if (!existsSync(file)) {
      console.log(`${t.name.padEnd(18)} MISSING ${relative(root, file)}`);
      bad++;
      continue;
    }
    const problems = checkBinary(file, t);
    const took = results?.get(t.name);
    console.log(`${t.name.padEnd(18)} ${problems.length ? 'FAIL' : 'ok  '} ${relative(root, file)} ${String(statSync(file).size).padStart(8)} bytes${took ? `  built in ${took}` : ''}`);
    for (const p of problems) console.log(`${' '.repeat(24)}${p}`);
    if (problems.length) bad++;
  }
  return bad;
}

async function build() {
  const z = zig();
  const nodeInclude = nodeIncludeDir();
  if (!nodeInclude) throw new Error("Node's headers (node_api.h, uv.h) not found next to this node nor in /usr/include/node");
  const includes = ['-I', require('node-addon-api').include_dir, '-I', join(root, 'native'), '-I', nodeInclude];
  const sources = listNative('native', '.cc');
  const headerHash = createHash('sha256');
  for (const h of listNative('native', '.h')) headerHash.update(h).update(readFileSync(join(root, h)));
  headerHash.update(readFileSync(join(nodeInclude, 'node_api.h'))).update(readFileSync(join(require('node-addon-api').include_dir, 'napi.h')));
  const headersKey = headerHash.digest('hex');

  const objDir = join(cacheDir(), 'objects');
  const work = join(root, 'build', 'zig');
  mkdirSync(objDir, { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'exports.map'), `{\n  global:\n${NAPI_ENTRY_POINTS.map((s) => `    ${s};`).join('\n')}\n  local: *;\n};\n`);
  writeNodeDef(nodeInclude, join(root, 'native'), join(work, 'node.def'));
  const dll = await run(z.bin, ['dlltool', '-d', join(work, 'node.def'), '-l', join(work, 'node.lib'), '-m', 'i386:x86-64'], z.env);
  if (dll.status !== 0) throw new Error(`zig dlltool failed:\n${dll.out}`);

  const started = new Map();
  const objects = new Map(targets.map((t) => [t.name, []]));
  const compileTasks = [];
  for (const t of targets) {
    const flags = [...compileFlags(t), ...includes];
    for (const src of sources) {
      const key = createHash('sha256').update(ZIG_VERSION).update(t.zig).update(flags.join(' ')).update(headersKey).update(readFileSync(join(root, src))).digest('hex').slice(0, 32);
      const obj = join(objDir, `${key}.o`);
      objects.get(t.name).push(obj);
      compileTasks.push(async () => {
        if (!started.has(t.name)) started.set(t.name, Date.now());
        if (existsSync(obj)) return null;
        const tmp = `${obj}.${process.pid}.tmp`;
        const r = await run(z.bin, ['c++', '-target', t.zig, ...flags, '-c', join(root, src), '-o', tmp], z.env);
        if (r.status !== 0) return `${t.name}: ${src}\n${r.out}`;
        renameSync(tmp, obj);
        if (r.out.trim()) process.stdout.write(`${t.name}: ${src}\n${r.out}`);
        return null;
      });
    }
  }
  const t0 = Date.now();
  const errors = (await pool(compileTasks, jobs)).filter(Boolean);
  if (errors.length) {
    for (const e of errors) console.error(e);
    throw new Error(`${errors.length} compile(s) failed`);
  }
  console.log(`prebuild:all: compiled ${compileTasks.length} objects (${targets.length} targets) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const times = new Map();
  const linkErrors = (await pool(targets.map((t) => async () => {
    const linkStart = Date.now();
    const tdir = join(work, t.name);
    mkdirSync(tdir, { recursive: true });
    const tmpOut = join(tdir, t.os === 'win32' ? 'stemedb.dll' : 'stemedb.node');
    const r = await run(z.bin, ['c++', '-target', t.zig, ...objects.get(t.name), ...linkFlags(t, { versionScript: join(work, 'exports.map'), importLib: join(work, 'node.lib') }), '-o', tmpOut], z.env);
    if (r.status !== 0) return `${t.name}: link failed\n${r.out}`;
    mkdirSync(dirname(outPath(t)), { recursive: true });
    copyFileSync(tmpOut, outPath(t));
    times.set(t.name, `link ${((Date.now() - linkStart) / 1000).toFixed(1)} s`);
    return null;
  }), jobs)).filter(Boolean);
  for (const e of linkErrors) console.error(e);
  console.log(`prebuild:all: ${targets.length} targets in ${((Date.now() - t0) / 1000).toFixed(0)} s (zig ${ZIG_VERSION}, ${jobs} jobs, cache ${cacheDir()})`);
  return { times, failed: linkErrors.length };
}

try {
  const built = checkOnly ? { times: null, failed: 0 } : await build();
  const bad = report(built.times);
  console.log(`${targets.length - bad} passed, ${bad} failed`);
  if (bad || built.failed) {
    console.error(`prebuild:all: ${bad || built.failed} target(s) failed`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`prebuild:all: ${err.message}`);
  process.exitCode = 1;
}
