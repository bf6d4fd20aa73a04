#!/usr/bin/env node
// `npm run prebuild:all`: cross-builds the addon for every shipped target with zig
// (see scripts/prebuild-all/targets.mjs) into prebuilds/<platform>-<arch>/, stripped,
// then checks each binary (scripts/prebuild-all/check.mjs: architecture, glibc
// symbol versions <= 2.17, no C++ runtime dependency, only the N-API entry points
// exported). Runs on linux-x64 only (where the zig package runs).
//
//   node scripts/prebuild-all.mjs [target-name-fragment...] [--check-only] [--jobs=N]
//
// Objects are cached by content (the source and the native headers it includes,
// flags, target, zig version) under the stemedb cache dir, so only what changed recompiles; zig's
// own cache (libc++ per target) sits beside it. At most PREBUILD_JOBS (default 2)
// compiler processes run at once.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, pool, run, zig, ZIG_VERSION } from './prebuild-all/toolchain.mjs';
import { compileFlags, linkFlags, selectTargets, versionScript } from './prebuild-all/targets.mjs';
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

/** Hash of a native file and every native header it includes (#include "..."), transitively. */
const keyCache = new Map();
function sourceKey(rel) {
  const h = createHash('sha256');
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    h.update(file).update(text);
    for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const inc = relative(root, join(root, dirname(file), m[1]));
      if (existsSync(join(root, inc))) visit(inc);
      else if (existsSync(join(root, 'native', m[1]))) visit(`native/${m[1]}`);
    }
  };
  if (!keyCache.has(rel)) {
    visit(rel);
    keyCache.set(rel, h.digest('hex'));
  }
  return keyCache.get(rel);
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
    console.log(
      `${t.name.padEnd(18)} ${problems.length ? 'FAIL' : 'ok  '} ${relative(root, file)} ${String(statSync(file).size).padStart(8)} bytes${took ? `  built in ${took}` : ''}`,
    );
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
  const externalKey = createHash('sha256')
    .update(readFileSync(join(nodeInclude, 'node_api.h')))
    .update(readFileSync(join(require('node-addon-api').include_dir, 'napi.h')))
    .digest('hex');

  const objDir = join(cacheDir(), 'objects');
  const linkDir = join(cacheDir(), 'linked');
  mkdirSync(linkDir, { recursive: true });
  // Per-run scratch (version script, node.def/node.lib, link outputs); not under build/,
  // which `node-gyp rebuild` deletes.
  const work = mkdtempSync(join(tmpdir(), 'stemedb-zig-'));
  mkdirSync(objDir, { recursive: true });
  writeFileSync(join(work, 'exports.map'), versionScript());
  writeNodeDef(nodeInclude, join(root, 'native'), join(work, 'node.def'));
  const dll = await run(z.bin, ['dlltool', '-d', join(work, 'node.def'), '-l', join(work, 'node.lib'), '-m', 'i386:x86-64'], z.env);
  if (dll.status !== 0) throw new Error(`zig dlltool failed:\n${dll.out}`);

  // One target after the other (its objects, at most `jobs` at once, then its link), so
  // the first binaries are there early and a failure shows before the slow targets.
  const times = new Map();
  let failed = 0;
  const t0 = Date.now();
  for (const t of targets) {
    const started = Date.now();
    const flags = [...compileFlags(t), ...includes];
    const objects = [];
    const compiles = sources.map((src) => {
      const key = createHash('sha256')
        .update(ZIG_VERSION)
        .update(t.zig)
        .update(flags.join(' '))
        .update(externalKey)
        .update(sourceKey(src))
        .digest('hex')
        .slice(0, 32);
      const obj = join(objDir, `${key}.o`);
      objects.push(obj);
      return async () => {
        if (existsSync(obj)) return null;
        const tmp = `${obj}.${process.pid}.tmp`;
        const r = await run(z.bin, ['c++', '-target', t.zig, ...flags, '-c', join(root, src), '-o', tmp], z.env);
        if (r.status !== 0) return `${t.name}: ${src}\n${r.out}`;
        renameSync(tmp, obj);
        if (r.out.trim()) process.stdout.write(`${t.name}: ${src}\n${r.out}`);
        return null;
      };
    });
    const errors = (await pool(compiles, jobs)).filter(Boolean);
    const compiled = (Date.now() - started) / 1000;
    if (errors.length) {
      for (const e of errors) console.error(e);
      console.error(`${t.name}: ${errors.length} compile(s) failed`);
      failed++;
      continue;
    }
    // The link is cached too, by its inputs (objects, flags, node.def's exports), so an
    // unchanged target costs a copy: prepack runs this before every pack.
    const link = linkFlags(t, { versionScript: join(work, 'exports.map'), importLib: join(work, 'node.lib') });
    const linkKey = createHash('sha256')
      .update(ZIG_VERSION)
      .update(t.zig)
      .update(objects.join(' '))
      .update(link.map((f) => f.replace(work, '')).join(' '))
      .update(readFileSync(join(work, 'exports.map')))
      .update(readFileSync(join(work, 'node.def')))
      .digest('hex')
      .slice(0, 32);
    const linked = join(linkDir, `${linkKey}-${t.file}`);
    if (!existsSync(linked)) {
      const tdir = join(work, t.name);
      mkdirSync(tdir, { recursive: true });
      const tmpOut = join(tdir, t.os === 'win32' ? 'stemedb.dll' : 'stemedb.node');
      const r = await run(z.bin, ['c++', '-target', t.zig, ...objects, ...link, '-o', tmpOut], z.env);
      if (r.status !== 0) {
        console.error(`${t.name}: link failed\n${r.out}`);
        failed++;
        continue;
      }
      copyFileSync(tmpOut, `${linked}.${process.pid}.tmp`);
      renameSync(`${linked}.${process.pid}.tmp`, linked);
    }
    mkdirSync(dirname(outPath(t)), { recursive: true });
    copyFileSync(linked, outPath(t));
    times.set(t.name, `compile ${compiled.toFixed(0)} s, link ${((Date.now() - started) / 1000 - compiled).toFixed(0)} s`);
    console.log(`prebuild:all: ${t.name} ${times.get(t.name)}`);
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`prebuild:all: ${targets.length} targets in ${((Date.now() - t0) / 1000).toFixed(0)} s (zig ${ZIG_VERSION}, ${jobs} jobs, cache ${cacheDir()})`);
  return { times, failed };
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
