// Builds the fake-N-API smoke host (napi-smoke.c) for a musl target, linked
// dynamically against that target's musl so musl's loader does the dlopen, and runs it
// on an addon binary (under qemu for another CPU). See napi-smoke.c for what it checks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

// zig 0.11 links its own musl statically whatever the flags (and a static musl's dlopen
// only says "Dynamic loading not supported"), so zig compiles the objects and its lld
// links them against Debian's musl (packages musl-dev, musl-dev:arm64): crt files,
// libc.so, and musl's loader as the interpreter; --export-dynamic lets the addon
// resolve the napi_* functions from the host.
const MUSL = {
  'x86_64-linux-musl': { lib: '/usr/lib/x86_64-linux-musl', loader: '/lib/ld-musl-x86_64.so.1', emulation: 'elf_x86_64' },
  'aarch64-linux-musl': { lib: '/usr/lib/aarch64-linux-musl', loader: '/lib/ld-musl-aarch64.so.1', emulation: 'aarch64linux' },
};

/** Compiles the host for zigTarget into dir; returns its path or throws with the compiler output. */
export function buildSmokeHost(z, zigTarget, nodeInclude, nativeDir, dir) {
  const musl = MUSL[zigTarget];
  if (!musl) throw new Error(`no smoke host recipe for ${zigTarget}`);
  mkdirSync(dir, { recursive: true });
  const stubs = writeStubs(nodeInclude, nativeDir, dir);
  const out = join(dir, `napi-smoke-${zigTarget}`);
  const src = new URL('./napi-smoke.c', import.meta.url).pathname;
  const objects = [];
  for (const [file, name] of [
    [src, 'napi-smoke'],
    [stubs, 'napi-stubs'],
  ]) {
    const obj = join(dir, `${name}-${zigTarget}.o`);
    const r = spawnSync(z.bin, ['cc', '-target', zigTarget, '-O1', '-w', '-fno-pie', '-c', file, '-o', obj], { env: z.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`compiling ${name} for ${zigTarget} failed:\n${r.stdout}${r.stderr}`);
    objects.push(obj);
  }
  const crt = (f) => join(musl.lib, f);
  if (!existsSync(crt('crt1.o'))) throw new Error(`${crt('crt1.o')} is missing: install Debian's musl-dev for this architecture`);
  const r = spawnSync(
    z.bin,
    [
      'ld.lld',
      '-m',
      musl.emulation,
      '--export-dynamic',
      '-dynamic-linker',
      musl.loader,
      crt('crt1.o'),
      crt('crti.o'),
      ...objects,
      crt('libc.so'),
      crt('crtn.o'),
      '-o',
      out,
    ],
    { env: z.env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`linking the smoke host for ${zigTarget} failed:\n${r.stdout}${r.stderr}`);
  return out;
}

/** Runs the host on addon (prefix: e.g. a qemu command); returns { ok, out }. */
export function runSmoke(prefix, host, addon) {
  const [cmd, ...pre] = [...prefix, host];
  const r = spawnSync(cmd, [...pre, addon], { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  return { ok: r.status === 0 && /SMOKE OK/.test(out), out };
}
