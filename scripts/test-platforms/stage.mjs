// A staged copy of the package for a foreign Node (qemu, wine): src/, test/, the docs and
// tsconfig.json (their examples are typechecked and run), native/ (a test reads its
// comments) and benches/ (a test reads its lib), with every .ts also
// compiled to .js beside it by esbuild on this machine (so the guest needs no esbuild
// service: under wine its pipe to the esbuild process fails), the prebuilds only (no
// build/), and this checkout's node_modules linked in. Child processes of tests still
// start `--import tsx <helper>.ts`, which works under qemu.
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

function tsFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

export async function makeStage(root, dir) {
  mkdirSync(dir, { recursive: true });
  for (const p of ['package.json', 'tsconfig.json', 'README.md', 'docs', 'native', 'src', 'test', 'benches', 'prebuilds'])
    cpSync(join(root, p), join(dir, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const require = createRequire(join(root, 'package.json'));
  const esbuild = require(require.resolve('esbuild', { paths: [require.resolve('tsx')] }));
  const entries = [...tsFiles(join(dir, 'src')), ...tsFiles(join(dir, 'test')), ...tsFiles(join(dir, 'benches'))];
  await esbuild.build({ entryPoints: entries, outdir: dir, outbase: dir, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  writeFileSync(join(dir, 'STAGED'), `compiled ${entries.length} files from ${relative(dir, root) || root}\n`);
  return dir;
}
