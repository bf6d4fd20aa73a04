// Checks a built binary without running it: the file format and CPU match the
// target; on Linux (read with binutils' readelf) no glibc symbol version above
// 2.17, no C++ runtime or libgcc_s in DT_NEEDED, and only the N-API entry points
// exported; on Windows only node.exe and system DLLs imported (no MinGW runtime);
// on macOS a Mach-O bundle/dylib for the right CPU using only /usr/lib and
// /System libraries. Returns a list of problems (empty = ok).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NAPI_ENTRY_POINTS } from './targets.mjs';

const GLIBC_FLOOR = [2, 17];
const CXX_RUNTIME = /^(libstdc\+\+|libc\+\+|libc\+\+abi|libgcc_s|libunwind|libwinpthread|libgcc)/i;

function readelf(file, flag) {
  const r = spawnSync('readelf', ['-W', flag, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`readelf ${flag} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function checkElf(file, buf, t) {
  const problems = [];
  const machine = buf.readUInt16LE(18);
  const want = t.cpu === 'x64' ? 62 : 183; // EM_X86_64, EM_AARCH64
  if (machine !== want) problems.push(`ELF machine ${machine}, expected ${want}`);
  const needed = [...readelf(file, '-d').matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  for (const n of needed) if (CXX_RUNTIME.test(n)) problems.push(`needs ${n}`);
  if (t.libc === 'musl' && !needed.some((n) => n.startsWith('libc.')))
    problems.push(`musl build without libc in NEEDED (${needed.join(', ') || 'none'}): libc linked statically?`);
  const versions = [...readelf(file, '-V').matchAll(/Name: (GLIBC_[0-9.]+)/g)].map((m) => m[1]);
  if (t.libc === 'musl' && versions.length) problems.push(`musl build references ${versions.join(', ')}`);
  for (const v of new Set(versions)) {
    const [maj, min] = v.slice(6).split('.').map(Number);
    if (maj > GLIBC_FLOOR[0] || (maj === GLIBC_FLOOR[0] && min > GLIBC_FLOOR[1])) problems.push(`needs ${v} (floor GLIBC_${GLIBC_FLOOR.join('.')})`);
  }
  const exported = [];
  for (const line of readelf(file, '--dyn-syms').split('\n')) {
    const f = line.trim().split(/\s+/);
    // Num: Value Size Type Bind Vis Ndx Name
    if (f.length >= 8 && /^\d+:$/.test(f[0]) && f[6] !== 'UND' && (f[4] === 'GLOBAL' || f[4] === 'WEAK') && f[3] !== 'SECTION')
      exported.push(f[7].replace(/@.*/, ''));
  }
  const extra = exported.filter((s) => !NAPI_ENTRY_POINTS.includes(s));
  if (extra.length)
    problems.push(`exports more than the N-API entry points: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ` (+${extra.length - 8})` : ''}`);
  if (!exported.includes('napi_register_module_v1')) problems.push('does not export napi_register_module_v1');
  if (/\.symtab/.test(readelf(file, '-S'))) problems.push('not stripped (.symtab present)');
  return problems;
}

/** Image DLL names a PE file imports (walks the import directory through the section table). */
export function peImports(buf) {
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('no PE signature');
  const sections = buf.readUInt16LE(pe + 6);
  const optSize = buf.readUInt16LE(pe + 20);
  const opt = pe + 24;
  if (buf.readUInt16LE(opt) !== 0x20b) throw new Error('not PE32+');
  const importRva = buf.readUInt32LE(opt + 112 + 8); // data directory 1 (imports), PE32+
  const secTable = opt + optSize;
  const toOffset = (rva) => {
    for (let i = 0; i < sections; i++) {
      const s = secTable + i * 40;
      const va = buf.readUInt32LE(s + 12);
      const size = Math.max(buf.readUInt32LE(s + 8), buf.readUInt32LE(s + 16));
      if (rva >= va && rva < va + size) return rva - va + buf.readUInt32LE(s + 20);
    }
    throw new Error(`RVA 0x${rva.toString(16)} outside every section`);
  };
  const names = [];
  for (let d = toOffset(importRva); buf.readUInt32LE(d + 12) !== 0; d += 20) {
    const at = toOffset(buf.readUInt32LE(d + 12));
    names.push(buf.toString('latin1', at, buf.indexOf(0, at)));
  }
  return { machine: buf.readUInt16LE(pe + 4), characteristics: buf.readUInt16LE(pe + 22), names };
}

function checkPe(buf) {
  const problems = [];
  const { machine, characteristics, names } = peImports(buf);
  if (machine !== 0x8664) problems.push(`PE machine 0x${machine.toString(16)}, expected 0x8664 (x64)`);
  if (!(characteristics & 0x2000)) problems.push('not a DLL');
  if (!names.some((n) => n.toLowerCase() === 'node.exe')) problems.push('does not import from node.exe');
  const system = /^(node\.exe|kernel32\.dll|ntdll\.dll|advapi32\.dll|msvcrt\.dll|ucrtbase\.dll|api-ms-win-[a-z0-9-]+\.dll)$/i;
  for (const n of names) if (!system.test(n)) problems.push(`imports ${n} (not a system DLL)`);
  return problems;
}

function checkMachO(buf, t) {
  const problems = [];
  const cpu = buf.readUInt32LE(4);
  const want = t.cpu === 'x64' ? 0x01000007 : 0x0100000c;
  if (cpu !== want) problems.push(`Mach-O cputype 0x${cpu.toString(16)}, expected 0x${want.toString(16)}`);
  const type = buf.readUInt32LE(12);
  if (type !== 6 && type !== 8) problems.push(`Mach-O filetype ${type}, expected a dylib or bundle`);
  const ncmds = buf.readUInt32LE(16);
  for (let i = 0, at = 32; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (cmd === 0xc || cmd === 0x80000018) {
      // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB
      const nameAt = at + buf.readUInt32LE(at + 8);
      const name = buf.toString('latin1', nameAt, buf.indexOf(0, nameAt));
      if (!/^\/(usr\/lib|System)\//.test(name)) problems.push(`links ${name}`);
    }
    at += size;
  }
  return problems;
}

export function checkBinary(file, t) {
  const buf = readFileSync(file);
  try {
    if (t.os === 'linux') return buf.readUInt32BE(0) === 0x7f454c46 ? checkElf(file, buf, t) : ['not an ELF file'];
    if (t.os === 'win32') return buf.toString('latin1', 0, 2) === 'MZ' ? checkPe(buf) : ['not a PE file'];
    if (t.os === 'darwin') return buf.readUInt32LE(0) === 0xfeedfacf ? checkMachO(buf, t) : ['not a 64-bit Mach-O file'];
  } catch (err) {
    return [`unreadable: ${err.message}`];
  }
  return [`no check for ${t.os}`];
}
