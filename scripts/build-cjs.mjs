#!/usr/bin/env node
// After tsc (dist/, ESM): the CommonJS build and the package's two entry points.
//
// - dist/cjs/index.js: src/index.ts bundled by esbuild as CommonJS (dependencies stay
//   external, except @noble/hashes, which is ESM-only and so could not be require()d on
//   Node < 20.19); `import.meta.url` becomes the file's own URL. dist/cjs/package.json
//   marks the folder CommonJS, so the .d.ts files copied beside it type `require` users
//   (moduleResolution node16/nodenext) as CommonJS.
// - dist/index.js (tsc's ESM index) is replaced by an ESM wrapper that re-exports the
//   CommonJS build, so `import` and `require` in one process share one instance (one
//   addon load, one fallback warning, one StemeError class). Its dist/index.d.ts is tsc's.
import { build } from 'esbuild';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'cjs');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED = ['@noble/hashes'];
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})].filter((d) => !BUNDLED.includes(d));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
/** One CommonJS bundle; exits on errors. */
async function bundle(entry, outfile) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    banner: { js: "const __stemedb_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__stemedb_import_meta_url' },
    logLevel: 'warning',
    supported: { 'top-level-await': false }, // a top-level await would make require() fail: refuse to build one
  });
  if (result.errors.length) process.exit(1);
}
await bundle(join(root, 'src', 'index.ts'), join(out, 'index.js'));
// The Ingestor's read thread (src/ingest/read-thread/worker.ts) runs in a worker: an entry of its
// own, beside index.js, where read-thread/thread-source.ts looks for it.
await bundle(join(root, 'src', 'ingest', 'read-thread', 'worker.ts'), join(out, 'read-thread-worker.js'));
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');

// The declarations, beside the CommonJS build (same files; the folder's "type" makes them CommonJS).
for (const e of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  const from = join(e.parentPath ?? e.path, e.name);
  const rel = relative(dist, from);
  if (!e.isFile() || !e.name.endsWith('.d.ts') || rel.startsWith('cjs') || rel.startsWith('cli')) continue;
  mkdirSync(dirname(join(out, rel)), { recursive: true });
  cpSync(from, join(out, rel));
}

writeFileSync(
  join(dist, 'index.js'),
  `// The ESM entry: the CommonJS build (./cjs/index.js) re-exported, so import and require share one instance.\nexport * from './cjs/index.js';\n`,
);
