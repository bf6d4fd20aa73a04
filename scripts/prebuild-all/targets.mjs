// The seven cross-built targets: zig's target triple, where node-gyp-build looks
// for the binary, and the per-target link flags. glibc 2.17 (CentOS 7, 2014) is
// zig's floor; the Linux binaries link libc++ statically, so they need no
// libstdc++ of any version.
export const TARGETS = [
  { name: 'linux-x64-glibc', zig: 'x86_64-linux-gnu.2.17', dir: 'linux-x64', file: 'stemedb.glibc.node', os: 'linux', cpu: 'x64', libc: 'glibc' },
  { name: 'linux-arm64-glibc', zig: 'aarch64-linux-gnu.2.17', dir: 'linux-arm64', file: 'stemedb.glibc.node', os: 'linux', cpu: 'arm64', libc: 'glibc' },
  { name: 'linux-x64-musl', zig: 'x86_64-linux-musl', dir: 'linux-x64', file: 'stemedb.musl.node', os: 'linux', cpu: 'x64', libc: 'musl' },
  { name: 'linux-arm64-musl', zig: 'aarch64-linux-musl', dir: 'linux-arm64', file: 'stemedb.musl.node', os: 'linux', cpu: 'arm64', libc: 'musl' },
  { name: 'win32-x64', zig: 'x86_64-windows-gnu', dir: 'win32-x64', file: 'stemedb.node', os: 'win32', cpu: 'x64' },
  { name: 'darwin-x64', zig: 'x86_64-macos.11.0', dir: 'darwin-x64', file: 'stemedb.node', os: 'darwin', cpu: 'x64' },
  { name: 'darwin-arm64', zig: 'aarch64-macos.11.0', dir: 'darwin-arm64', file: 'stemedb.node', os: 'darwin', cpu: 'arm64' },
];

/** The only symbols a Linux binary exports: what Node looks up after dlopen. */
export const NAPI_ENTRY_POINTS = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];

/** A linker version script (Linux) that exports NAPI_ENTRY_POINTS and nothing else. */
export function versionScript() {
  return `{\n  global:\n${NAPI_ENTRY_POINTS.map((s) => `    ${s};`).join('\n')}\n  local: *;\n};\n`;
}

/** Targets selected by names or name fragments, in the order given (all when none given). */
export function selectTargets(filters) {
  if (!filters.length) return TARGETS;
  const chosen = [...new Set(filters.flatMap((f) => TARGETS.filter((t) => t.name.includes(f))))];
  if (!chosen.length) throw new Error(`no target matches ${filters.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  return chosen;
}

/** The same defines binding.gyp gives node-gyp (plus what node-gyp adds itself). */
export function compileFlags(target) {
  const flags = [
    '-std=c++17',
    '-O3',
    '-fPIC',
    '-fvisibility=hidden',
    '-fno-exceptions',
    '-fno-rtti',
    '-Wall',
    '-DNAPI_VERSION=8',
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    '-DBUILDING_NODE_EXTENSION',
    '-DNODE_GYP_MODULE_NAME=stemedb',
  ];
  if (target.os === 'win32') flags.push('-DNOMINMAX', '-DWIN32_LEAN_AND_MEAN');
  if (target.os === 'linux') flags.push('-D_LARGEFILE_SOURCE', '-D_FILE_OFFSET_BITS=64');
  return flags;
}

/** Link flags; `files` gives the version script (Linux) and import library (Windows). */
export function linkFlags(target, files) {
  const flags = ['-shared', '-s'];
  if (target.os === 'linux') flags.push(`-Wl,--version-script=${files.versionScript}`, '-Wl,-z,noexecstack', '-Wl,--gc-sections');
  if (target.os === 'darwin') flags.push('-Wl,-undefined,dynamic_lookup');
  if (target.os === 'win32') flags.push(files.importLib);
  return flags;
}
