#!/usr/bin/env node
// `npm run test:pack`: a real install of the packed tarball into fresh projects,
// with no compiler reachable. Ends with "N passed, N failed" (read by .ci/run).
//
//  1. builds the prebuild for this platform (on linux-x64 with zig, and the arm64 one),
//     checks that prepack refuses no prebuild and a bad one, then `npm pack` (prepack
//     checks the binaries and builds dist/); checks the tarball's file list (ships
//     dist/, types, native sources, binding.gyp, the install + gyp helper scripts,
//     every prebuild in prebuilds/, docs; not tests, benches, src/, build leftovers).
//  2. with the prebuild: `npm install <tgz> --foreground-scripts` under a PATH
//     without make/cc/g++: install succeeds silently, the prebuild loads
//     (backend 'native', nothing compiled, no build/), a journal round trip works;
//     then `npm ci --ignore-scripts` from the lockfile: still native.
//  3. the same tarball with prebuilds/ removed: the install script tries to
//     compile, fails (no compiler), prints one warning line, the install
//     succeeds, the package runs on wasm and passes the same round trip;
//     then `npm ci --ignore-scripts`: wasm, no warning.
//  4. that tarball again with the normal PATH: the install script compiles the
//     addon from the shipped sources and it loads from build/Release.
//     On linux-x64 the installed project also runs under qemu-user with Node's official
//     arm64 build: the arm64 prebuild loads (TEST_PACK_ARM64=0 skips this).
//  Also (scripts/test-pack/consumers.mjs): a CommonJS project (require + import),
//  TypeScript consumers (module commonjs, node16, nodenext, bundler; strict,
//  skipLibCheck false, no @types/better-sqlite3), Store.open without a usable SQLite
//  driver, and a journal + ingest + query script under Bun, Deno and Node 22
//  (node:sqlite), installed from npm (TEST_PACK_RUNTIMES=0 skips those).
//
// better-sqlite3 (for the ingestor) is an optional peer dependency: npm does not
// install it with stemedb.
// Env: KEEP_TMP=1 keeps the temporary directory; TEST_PACK_SOURCE_BUILD=0 skips 4;
// TEST_PACK_PREBUILT=1 packs prebuilds/ as found (CI's pack job: every platform's
// downloaded binaries) instead of running scripts/prebuild.mjs. POSIX only (a PATH without a
// compiler means nothing on Windows, where node-gyp finds Visual Studio itself).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerChecks, runtimeChecks, unbuiltDriverCheck } from './test-pack/consumers.mjs';
import { arm64NodeCommand } from './test-platforms/system.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? `\n     | ${String(detail).trim().split('\n').slice(-12).join('\n     | ')}` : ''}`);
  return ok;
}

function finish() {
  console.log(`test:pack took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

if (process.platform === 'win32') {
  console.log('test:pack: skipped on Windows (node-gyp finds Visual Studio without PATH, so "no compiler" cannot be arranged)');
  finish();
}

// npm itself: the running one when under `npm run`, else the one on PATH.
function npmCli() {
  const candidates = [process.env.npm_execpath];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) candidates.push(join(dir, 'npm'));
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    const real = realpathSync(c);
    if (real.endsWith('.js') || real.endsWith('.cjs')) return real;
  }
  throw new Error('npm-cli.js not found');
}
const npm = npmCli();

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const libc = process.platform === 'linux' ? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc') : '';
const prebuildRel = `prebuilds/${process.platform}-${process.arch}/stemedb${libc ? '.' + libc : ''}.node`;
const work = mkdtempSync(join(tmpdir(), 'stemedb-pack-'));
console.log(`test:pack: working in ${work}`);

// ---- 1. prebuilds, pack, file list ----------------------------------------------
// On linux-x64 the prebuilds come from zig (prebuild:all: glibc 2.17 floor, cached), the
// arm64 one too for the qemu check below; elsewhere scripts/prebuild.mjs builds this
// platform's. `npm pack` runs prepack (scripts/prepack.mjs) with STEMEDB_PREPACK_BUILD=0:
// it checks every binary in prebuilds/, then builds dist/.
const devEnv = { ...process.env };
const zigHost = process.platform === 'linux' && process.arch === 'x64';
const arm64 = zigHost && process.env.TEST_PACK_ARM64 !== '0';
let r;
if (process.env.TEST_PACK_PREBUILT === '1') {
  if (!check(`prebuild present (${prebuildRel}, TEST_PACK_PREBUILT=1: not rebuilt)`, existsSync(join(root, prebuildRel)))) finish();
} else if (zigHost) {
  r = run(process.execPath, [join(root, 'scripts', 'prebuild-all.mjs'), 'linux-x64-glibc', ...(arm64 ? ['linux-arm64-glibc'] : [])], {
    cwd: root,
    env: devEnv,
  });
  if (
    !check(
      `prebuild:all ${arm64 ? 'linux-x64-glibc linux-arm64-glibc' : 'linux-x64-glibc'} (zig)`,
      r.status === 0 && existsSync(join(root, prebuildRel)),
      r.out,
    )
  )
    finish();
} else {
  r = run(process.execPath, [join(root, 'scripts', 'prebuild.mjs')], { cwd: root, env: devEnv });
  if (!check(`prebuild (${prebuildRel})`, r.status === 0 && existsSync(join(root, prebuildRel)), r.out)) finish();
  console.log(`     ${r.stdout.trim().split('\n').pop()}`);
}

// prepack refuses a package with no prebuild, and one whose binary fails the checks.
const emptyPrebuilds = join(work, 'empty-prebuilds');
mkdirSync(emptyPrebuilds);
r = run(process.execPath, [join(root, 'scripts', 'prepack.mjs'), '--prebuilds', emptyPrebuilds], { cwd: root, env: devEnv });
check('prepack refuses to pack with no prebuild', r.status !== 0 && /refusing to pack: no prebuilds/.test(r.out), r.out);
const badPrebuilds = join(work, 'bad-prebuilds');
mkdirSync(join(badPrebuilds, 'linux-x64'), { recursive: true });
writeFileSync(join(badPrebuilds, 'linux-x64', 'stemedb.glibc.node'), '\x7fELF not really');
r = run(process.execPath, [join(root, 'scripts', 'prepack.mjs'), '--prebuilds', badPrebuilds], { cwd: root, env: devEnv });
check('prepack refuses a prebuild that fails the binary checks', r.status !== 0 && /fail the binary checks/.test(r.out), r.out);

r = run(process.execPath, [npm, 'pack', '--json', '--pack-destination', work], { cwd: root, env: { ...devEnv, STEMEDB_PREPACK_BUILD: '0' } });
let packInfo;
try {
  packInfo = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
} catch {
  check('npm pack (prepack: prebuilds checked, dist/ built)', false, r.out);
  finish();
}
const tgz = join(work, packInfo.filename);
check(
  `npm pack (${packInfo.entryCount} files, ${(packInfo.size / 1024).toFixed(0)} KiB packed, ${(packInfo.unpackedSize / 1024).toFixed(0)} KiB unpacked)`,
  r.status === 0 && existsSync(tgz),
  r.out,
);
const files = packInfo.files.map((f) => f.path).sort();
writeFileSync(join(work, 'tarball-files.txt'), files.join('\n') + '\n');

const walk = (dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) =>
          relative(root, join(e.parentPath ?? e.path, e.name))
            .split('\\')
            .join('/'),
        )
    : [];
const required = [
  'package.json',
  'binding.gyp',
  'scripts/install.cjs',
  'scripts/gyp-sources.cjs', // binding.gyp runs it to list the sources: a source build needs it
  'dist/index.js',
  'dist/index.d.ts',
  'dist/cjs/index.js', // the CommonJS build (require), which dist/index.js re-exports
  'dist/cjs/index.d.ts',
  'dist/cjs/package.json',
  prebuildRel,
  ...Object.values(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {})).map((f) => f.replace(/^\.\//, '')),
  ...(existsSync(join(root, 'README.md')) ? ['README.md'] : []),
  ...walk('native').filter((f) => /\.(cc|h)$/.test(f)),
  ...walk('docs').filter((f) => f.endsWith('.md')),
  ...walk('src')
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [f.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'), f.replace(/^src\//, 'dist/').replace(/\.ts$/, '.d.ts')]),
];
const missing = required.filter((f) => !files.includes(f));
check(
  `tarball has dist/ (js + d.ts for every src file), native/, binding.gyp, install scripts, ${prebuildRel}, docs/`,
  missing.length === 0,
  `missing: ${missing.join(', ')}`,
);
const prebuilt = walk('prebuilds').filter((f) => f.endsWith('.node'));
check(
  `tarball carries every prebuild in prebuilds/ (${prebuilt.map((f) => f.slice(10)).join(', ')})`,
  prebuilt.every((f) => files.includes(f)),
  `missing: ${prebuilt.filter((f) => !files.includes(f)).join(', ')}`,
);
const forbidden = [
  /^(test|tests|benches|bench-results|src|build|node_modules|\.ci|\.github|\.tmp|seed)\//,
  /\.(o|obj|a|lib|tgz|tsbuildinfo|log)$/,
  /^package-lock\.json$/,
  /^scripts\/(?!install\.cjs$|gyp-sources\.cjs$)/,
  /^prebuilds\/(?![^/]+\/[^/]+\.node$)/,
  /(^|\/)\.(DS_Store|git|gitignore|npmrc)$/,
];
const extra = files.filter((f) => forbidden.some((re) => re.test(f)));
check('tarball has no tests, benches, src/, build leftovers or dev scripts', extra.length === 0, `unexpected: ${extra.join(', ')}`);
const stray = files.filter(
  (f) =>
    !/^(package\.json|binding\.gyp|README\.md|LICENSE(\.md)?|CHANGELOG\.md|scripts\/(install|gyp-sources)\.cjs|dist\/.+\.(js|d\.ts|js\.map)|dist\/cjs\/package\.json|native\/.+\.(cc|h)|prebuilds\/[^/]+\/[^/]+\.node|docs\/.+\.md)$/.test(
      f,
    ),
);
check('every tarball file is of an expected kind', stray.length === 0, `unexpected: ${stray.join(', ')}`);

// package.json says where the project lives, and the shipped Markdown links only to files in the
// tarball or to that repository (a relative link to benches/ or .github/ is dead on npm and on disk).
const repoUrl = String(pkg.repository?.url ?? '')
  .replace(/^git\+/, '')
  .replace(/\.git$/, '');
check(
  'package.json has repository, homepage and bugs',
  /^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(repoUrl) && String(pkg.homepage).startsWith(repoUrl) && String(pkg.bugs?.url).startsWith(repoUrl),
  JSON.stringify({ repository: pkg.repository, homepage: pkg.homepage, bugs: pkg.bugs }),
);
const deadLinks = [];
for (const md of files.filter((f) => f.endsWith('.md'))) {
  for (const [, target] of readFileSync(join(root, md), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target.startsWith('#') || target.startsWith('mailto:')) continue;
    if (/^[a-z]+:/.test(target)) {
      if (target.includes('github.com') && !target.startsWith(repoUrl)) deadLinks.push(`${md}: ${target} (not this repository)`);
      continue;
    }
    const path = join(dirname(md), target.split('#')[0]).split('\\').join('/');
    if (!files.includes(path)) deadLinks.push(`${md}: ${target}`);
  }
}
check('README.md and docs/ link only to files in the tarball or to the repository', deadLinks.length === 0, deadLinks.join('\n'));

// The same tarball without prebuilds/.
const noPrebuildDir = join(work, 'noprebuild');
mkdirSync(noPrebuildDir);
r = run('tar', ['-xzf', tgz, '-C', noPrebuildDir]);
rmSync(join(noPrebuildDir, 'package', 'prebuilds'), { recursive: true, force: true });
const tgzNoPrebuild = join(work, `stemedb-${pkg.version}-noprebuild.tgz`);
const r2 = run('tar', ['-czf', tgzNoPrebuild, '-C', noPrebuildDir, 'package']);
if (!check('tarball without prebuilds/ made', r.status === 0 && r2.status === 0 && existsSync(tgzNoPrebuild), r.out + r2.out)) finish();

// ---- a PATH with no compiler ---------------------------------------------------
const bin = join(work, 'bin');
mkdirSync(bin);
const which = (t) => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, t))) return join(dir, t);
  return null;
};
symlinkSync(process.execPath, join(bin, 'node'));
for (const t of [
  'sh',
  'bash',
  'env',
  'python3',
  'uname',
  'rm',
  'mkdir',
  'cp',
  'mv',
  'ls',
  'cat',
  'sed',
  'grep',
  'tar',
  'gzip',
  'chmod',
  'ln',
  'dirname',
  'basename',
  'readlink',
  'tr',
  'head',
  'tail',
]) {
  const p = which(t);
  if (p) symlinkSync(p, join(bin, t));
}
const compilers = ['make', 'gmake', 'cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'ld', 'xcrun'];
const sandboxEnv = {};
for (const [k, v] of Object.entries(process.env)) {
  if (/^(npm_|INIT_CWD$|CC$|CXX$|LD$|LINK$|CFLAGS$|CXXFLAGS$|LDFLAGS$|PYTHON$|MAKE$|STEMEDB_|NODE_OPTIONS$|PREBUILD)/i.test(k)) continue;
  sandboxEnv[k] = v;
}
sandboxEnv.PATH = bin;
const reachable = compilers.filter((c) => run('sh', ['-c', `command -v ${c}`], { env: sandboxEnv }).status === 0);
check(
  `no compiler reachable in the install PATH (${compilers.filter((c) => which(c)).join(', ') || 'none'} hidden)`,
  reachable.length === 0,
  `reachable: ${reachable.join(', ')}`,
);

// ---- temporary projects ----------------------------------------------------------
const ROUNDTRIP = `
import { Journal, backend, backendInfo, crc32c, blake3 } from 'stemedb';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
const require = createRequire(import.meta.url);
const fail = (m) => { throw new Error(m); };
const hex = (u) => Buffer.from(u).toString('hex');
if (crc32c(Buffer.from('123456789')) !== 0xe3069283) fail('crc32c vector');
if (hex(blake3(new Uint8Array(0))) !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262') fail('blake3 vector');
const dir = mkdtempSync(join(tmpdir(), 'stemedb-rt-'));
try {
  const payloads = Array.from({ length: 300 }, (_, i) => Buffer.from(\`record \${i} \`.repeat((i % 40) + 1)));
  let j = await Journal.open(dir, { segmentBytes: 16 * 1024 });
  const acks = await Promise.all(payloads.map((p) => j.append(p)));
  for (let i = 0; i < payloads.length; i++) {
    const rec = await j.read(acks[i].offset);
    if (!rec || Buffer.compare(Buffer.from(rec.payload), payloads[i]) !== 0) fail('read back record ' + i);
    if (hex(rec.hash) !== hex(blake3(payloads[i])) || hex(acks[i].hash) !== hex(rec.hash)) fail('hash of record ' + i);
  }
  const segments = j.stats().segments;
  await j.close();
  j = await Journal.open(dir);
  let n = 0;
  for await (const rec of j.iterate()) {
    if (Buffer.compare(Buffer.from(rec.payload), payloads[n]) !== 0) fail('iterate record ' + n);
    n++;
  }
  await j.close();
  if (n !== payloads.length) fail('reopened journal has ' + n + ' records');
  let addon = null;
  try { addon = require('node-gyp-build').path(dirname(require.resolve('stemedb/package.json'))); } catch {}
  console.log(JSON.stringify({ ok: true, backend, reason: backendInfo.reason, records: n, segments, addon }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`;

function makeProject(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  // No allowScripts entries: a plain project, as a user's would be. stemedb's
  // own script is left unreviewed: npm runs it (and warns that it is not covered).
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pack-test-${name}`, version: '1.0.0', private: true, type: 'module' }, null, 2));
  writeFileSync(join(dir, 'roundtrip.mjs'), ROUNDTRIP);
  return dir;
}

function npmIn(dir, args, env = sandboxEnv) {
  return run(process.execPath, [npm, ...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, env });
}

function roundtrip(dir, extraEnv = {}) {
  const res = run(process.execPath, ['roundtrip.mjs'], { cwd: dir, env: { ...sandboxEnv, ...extraEnv } });
  let info = null;
  try {
    info = JSON.parse(res.stdout.trim().split('\n').pop());
  } catch {}
  return { ...res, info };
}

const warningLines = (out) => out.split('\n').filter((l) => /^stemedb:/.test(l.trim()));

function scenario(label, dir, installArgs, expect) {
  const inst = npmIn(dir, installArgs, expect.env);
  const pkgDir = join(dir, 'node_modules', 'stemedb');
  check(`${label}: \`npm ${installArgs.join(' ')}\` succeeds`, inst.status === 0 && existsSync(join(pkgDir, 'package.json')), inst.out);
  if (expect.scriptRuns !== undefined) {
    const ran = /> stemedb@[^ ]+ install/.test(inst.out);
    check(`${label}: stemedb's install script ${expect.scriptRuns ? 'ran' : 'did not run'}`, ran === expect.scriptRuns, inst.out);
  }
  const warns = warningLines(inst.out);
  check(
    `${label}: ${expect.warnings} stemedb warning line(s) during install${warns.length ? ` ("${warns[0].slice(0, 90)}...")` : ''}`,
    warns.length === expect.warnings && (!expect.warningText || expect.warningText.test(warns[0])),
    inst.out,
  );
  const builtAddon = join(pkgDir, 'build', 'Release', 'stemedb.node');
  if (expect.addon === 'source') check(`${label}: compiled from source into build/Release/stemedb.node`, existsSync(builtAddon), inst.out);
  else check(`${label}: nothing compiled (no node_modules/stemedb/build)`, !existsSync(join(pkgDir, 'build')), readdirSync(pkgDir).join(' '));
  const rt = roundtrip(dir);
  const got = rt.info;
  const detail = `${rt.out}`;
  check(
    `${label}: backend === '${expect.backend}'${got ? ` (${got.reason}${got.addon ? ', ' + relative(pkgDir, got.addon) : ''})` : ''}`,
    got?.backend === expect.backend,
    detail,
  );
  if (expect.backend === 'native') {
    const want = expect.addon === 'source' ? 'build/Release/stemedb.node' : prebuildRel;
    check(`${label}: the addon loaded from ${want}`, got?.addon === join(realpathSync(pkgDir), want), detail);
  }
  check(
    `${label}: journal round trip (append ${got?.records ?? '?'} records over ${got?.segments ?? '?'} segments, read, reopen, iterate)`,
    rt.status === 0 && got?.ok === true,
    detail,
  );
  // At run time the fallback is never silent: one StemedbWarning (none on native).
  const runWarnings = rt.stderr.split('STEMEDB_WASM_FALLBACK').length - 1;
  check(
    `${label}: ${expect.backend === 'wasm' ? 'one' : 'no'} STEMEDB_WASM_FALLBACK warning when the package is used`,
    runWarnings === (expect.backend === 'wasm' ? 1 : 0),
    rt.stderr,
  );
  return inst;
}

// The same installed project run by Node's official linux-arm64 build under qemu-user: the
// arm64 prebuild from the tarball loads (not wasm). TEST_PACK_ARM64=0 skips it.
function arm64Check(dir) {
  let command;
  try {
    command = arm64NodeCommand();
  } catch (err) {
    check('arm64 under qemu: Node linux-arm64 + qemu-user installed', false, err.message);
    return;
  }
  const res = run(command[0], [...command.slice(1), 'roundtrip.mjs'], { cwd: dir, env: sandboxEnv, timeout: 600_000 });
  let info = null;
  try {
    info = JSON.parse(res.stdout.trim().split('\n').pop());
  } catch {}
  const want = join(realpathSync(join(dir, 'node_modules', 'stemedb')), 'prebuilds', 'linux-arm64', 'stemedb.glibc.node');
  check(
    `arm64 under qemu: the prebuild loads (backend ${info?.backend ?? '?'}, ${info?.addon ? relative(dir, info.addon) : 'no addon'})`,
    info?.backend === 'native' && info?.addon === want,
    res.out,
  );
  check('arm64 under qemu: journal round trip', res.status === 0 && info?.ok === true, res.out);
}

// ---- 2. with the prebuild ----------------------------------------------------------
const withPrebuild = makeProject('with-prebuild');
scenario('prebuild', withPrebuild, ['install', '--foreground-scripts', tgz], { scriptRuns: true, warnings: 0, backend: 'native' });
if (arm64) arm64Check(withPrebuild);
const forced = roundtrip(withPrebuild, { STEMEDB_BACKEND: 'wasm' });
check(
  'prebuild: STEMEDB_BACKEND=wasm forces the wasm backend (round trip passes, no warning)',
  forced.status === 0 && forced.info?.backend === 'wasm' && !/Warning/.test(forced.stderr),
  forced.out,
);
rmSync(join(withPrebuild, 'node_modules'), { recursive: true, force: true });
scenario('prebuild, ci --ignore-scripts', withPrebuild, ['ci', '--ignore-scripts'], { warnings: 0, backend: 'native' });
// A forced source build that fails (no compiler) must say the prebuild runs, not wasm.
rmSync(join(withPrebuild, 'node_modules'), { recursive: true, force: true });
scenario('prebuild, STEMEDB_BUILD_FROM_SOURCE=1, no compiler', withPrebuild, ['install', '--foreground-scripts', tgz], {
  env: { ...sandboxEnv, STEMEDB_BUILD_FROM_SOURCE: '1' },
  scriptRuns: true,
  warnings: 1,
  warningText: /the native build failed \(.*\); using the prebuilt binary$/,
  backend: 'native',
});

// ---- CommonJS, TypeScript consumers, SQLite drivers, Bun / Deno / Node 22 -------------
const ctx = { check, run, npmIn, root, work, tgz, sandboxEnv };
const consumer = consumerChecks(ctx);
runtimeChecks(ctx, consumer);
unbuiltDriverCheck(ctx, consumer);

// ---- 3. without the prebuild ---------------------------------------------------------
const noPrebuild = makeProject('without-prebuild');
scenario('no prebuild', noPrebuild, ['install', '--foreground-scripts', tgzNoPrebuild], { scriptRuns: true, warnings: 1, backend: 'wasm' });
const native = roundtrip(noPrebuild, { STEMEDB_BACKEND: 'native' });
check('no prebuild: STEMEDB_BACKEND=native makes the missing addon an error', native.status !== 0 && /STEMEDB_BACKEND=native/.test(native.out), native.out);
rmSync(join(noPrebuild, 'node_modules'), { recursive: true, force: true });
scenario('no prebuild, ci --ignore-scripts', noPrebuild, ['ci', '--ignore-scripts'], { warnings: 0, backend: 'wasm' });

// ---- 4. without the prebuild, with a compiler: the install builds from source --------
// Proves the tarball carries everything a source build needs (native/, binding.gyp,
// scripts/gyp-sources.cjs, node-addon-api). TEST_PACK_SOURCE_BUILD=0 skips it.
if (process.env.TEST_PACK_SOURCE_BUILD !== '0') {
  const sourceBuild = makeProject('source-build');
  const withCompiler = { ...sandboxEnv, PATH: process.env.PATH, JOBS: 'max' };
  if (process.env.npm_config_nodedir) withCompiler.npm_config_nodedir = process.env.npm_config_nodedir;
  scenario('no prebuild, compiler on PATH', sourceBuild, ['install', '--foreground-scripts', tgzNoPrebuild], {
    env: withCompiler,
    scriptRuns: true,
    warnings: 0,
    backend: 'native',
    addon: 'source',
  });
}

if (process.env.KEEP_TMP === '1') console.log(`test:pack: kept ${work}`);
else rmSync(work, { recursive: true, force: true });
finish();
