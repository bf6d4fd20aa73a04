// Builds the fake-N-API smoke host (napi-smoke.c) for a target with zig, linked
// dynamically against that target's libc so its loader does the dlopen, and runs it
// on an addon binary (under qemu for another CPU). See napi-smoke.c for what it checks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNodeDef } from '../prebuild-all/node-imports.mjs';

/** The stubs: every napi_ and uv_ function the smoke host does not define, returning napi_ok. */
function writeStubs(nodeInclude, nativeDir, dir) {
  const own = new Set([...readFileSync(new URL('./napi-smoke.c', import.meta.url), 'utf8').matchAll(/^int ((?:napi|node_api)_\w+)\(/gm)].map((m) => m[1]));
  const names = writeNodeDef(nodeInclude, nativeDir, join(dir, 'node.def')).filter((n) => !own.has(n));
  const file = join(dir, 'napi-stubs.c');
  writeFileSync(file, `// Generated: N-API / libuv functions the smoke does not need to behave.\n${names.map((n) => `int ${n}() { return 0; }`).join('\n')}\n`);
  return file;
}

/** Compiles the host for zigTarget into dir; returns its path or throws with the compiler output. */
export function buildSmokeHost(z, zigTarget, nodeInclude, nativeDir, dir) {
  mkdirSync(dir, { recursive: true });
  const stubs = writeStubs(nodeInclude, nativeDir, dir);
  const out = join(dir, `napi-smoke-${zigTarget}`);
  const src = new URL('./napi-smoke.c', import.meta.url).pathname;
  const r = spawnSync(z.bin, ['cc', '-target', zigTarget, '-O1', '-w', '-dynamic', '-rdynamic', src, stubs, '-o', out], { env: z.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the smoke host for ${zigTarget} failed:\n${r.stdout}${r.stderr}`);
  return out;
}

/** Runs the host on addon (prefix: e.g. a qemu command); returns { ok, out }. */
export function runSmoke(prefix, host, addon) {
  const [cmd, ...pre] = [...prefix, host];
  const r = spawnSync(cmd, [...pre, addon], { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  return { ok: r.status === 0 && /SMOKE OK/.test(out), out };
}
