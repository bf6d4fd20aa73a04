/**
 * The package as built for users: `tsc -p tsconfig.build.json` into a fresh
 * package root in a temp directory (its own dist/, package.json; node_modules
 * and build/ linked from the checkout), so tests run the emitted JavaScript and
 * read the emitted .d.ts, never a stale dist/. Built once per test process.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BuiltPackage {
  /** The package root: package.json, dist/, node_modules -> the checkout's. */
  root: string;
  /** dist/cli/main.js: the `stemedb` bin. */
  cli: string;
  cleanup(): void;
}

let built: BuiltPackage | undefined;

export function builtPackage(): BuiltPackage {
  if (built) return built;
  const { dir, cleanup } = tempDir('stemedb-built-');
  const root = join(dir, 'stemedb');
  mkdirSync(root);
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', join(root, 'dist'), '--sourceMap', 'false'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tsc failed (${r.status}):\n${r.stdout}${r.stderr}`);
  copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (existsSync(join(repoRoot, 'build'))) symlinkSync(join(repoRoot, 'build'), join(root, 'build'), 'dir');
  built = { root, cli: join(root, 'dist', 'cli', 'main.js'), cleanup };
  return built;
}
