// The addon built by GCC for arm64 (Debian's g++-aarch64-linux-gnu), beside the zig
// (clang) prebuilds: the native sources must build with both compilers on both
// architectures (x86-64 GCC is every `npm install` here). Warnings fail the build.
// The binary is only for test:platforms' smoke test under qemu; it is never shipped.
//
// Same flags and defines as the zig build (prebuild-all/targets.mjs), one object per
// source named by its path (native/io/errors.cc and native/napi/errors.cc share a base
// name), libstdc++ and libgcc linked statically as the shipped binaries link libc++.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { compileFlags, linkFlags, versionScript } from '../prebuild-all/targets.mjs';
import { pool, run } from '../prebuild-all/toolchain.mjs';
import { nodeIncludeDir } from '../node-headers.mjs';
import { ensureDebianPackages } from './system.mjs';

export const GCC_ARM64 = 'aarch64-linux-gnu-g++';
const LINUX_ARM64 = { os: 'linux', cpu: 'arm64', libc: 'glibc' };

/**
 * Compiles every native source with GCC for arm64 into `workDir` and links the addon;
 * resolves to { file, version } or rejects with the compiler's output.
 */
export async function buildWithGccArm64(root, sources, workDir, jobs = 2) {
  ensureDebianPackages(['g++-aarch64-linux-gnu']);
  const version = (await run(GCC_ARM64, ['-dumpfullversion'])).out.trim();
  const require = createRequire(join(root, 'package.json'));
  const nodeInclude = nodeIncludeDir();
  if (!nodeInclude) throw new Error("Node's headers (node_api.h) not found next to this node nor in /usr/include/node");
  const flags = [
    ...compileFlags(LINUX_ARM64),
    '-Wextra',
    '-Werror',
    '-I',
    require('node-addon-api').include_dir,
    '-I',
    join(root, 'native'),
    '-I',
    nodeInclude,
  ];
  mkdirSync(workDir, { recursive: true });
  const objects = sources.map((src) => join(workDir, `${relative('native', src).replace(/[\\/]/g, '__')}.o`));
  const errors = [];
  const compiles = sources.map((src, i) => async () => {
    const r = await run(GCC_ARM64, [...flags, '-c', join(root, src), '-o', objects[i]]);
    if (r.status !== 0 || r.out.trim()) errors.push(`${src}:\n${r.out.trim() || `exit ${r.status}`}`);
  });
  await pool(compiles, jobs);
  if (errors.length)
    throw new Error(`GCC ${version} arm64: ${errors.length} of ${sources.length} sources failed or warned\n${errors.join('\n').slice(0, 4000)}`);
  const exportsMap = join(workDir, 'exports.map');
  writeFileSync(exportsMap, versionScript());
  const file = join(workDir, 'stemedb.node');
  const link = await run(GCC_ARM64, [...linkFlags(LINUX_ARM64, { versionScript: exportsMap }), '-static-libstdc++', '-static-libgcc', ...objects, '-o', file]);
  if (link.status !== 0) throw new Error(`GCC ${version} arm64 link failed:\n${link.out.slice(0, 4000)}`);
  return { file, version, sources: sources.length };
}
