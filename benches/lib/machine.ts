/** Machine information for a BenchResult: CPU, cores, Node, memory, the disk under os.tmpdir(), date. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import type { MachineInfo, SourceInfo } from './types.js';

const FEATURES = ['sse4_2', 'pclmulqdq', 'avx2', 'avx512f', 'avx512vl', 'vpclmulqdq', 'sha_ni', 'asimd', 'crc32', 'pmull'];

function cpuFeatures(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(flags|Features)\s*:(.*)$/m.exec(info);
    if (!line) return [];
    const have = new Set(line[2]!.trim().split(/\s+/));
    return FEATURES.filter((f) => have.has(f));
  } catch {
    return [];
  }
}

/** `df -PTk dir` → device, filesystem type, mount point, sizes; null where df is unavailable. */
export function diskOf(dir: string): MachineInfo['disk'] {
  try {
    const out = execFileSync('df', ['-PTk', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const fields = out.trim().split('\n').at(-1)!.trim().split(/\s+/);
    // Filesystem Type 1024-blocks Used Available Capacity Mounted-on
    const [device, fsType, blocks, , avail] = fields;
    const mount = fields.slice(6).join(' ');
    const gib = (kb: string | undefined) => Math.round((Number(kb) / 1024 / 1024) * 10) / 10;
    return { device: device ?? '?', fsType: fsType ?? '?', mount, sizeGiB: gib(blocks), availGiB: gib(avail) };
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuFeatures: cpuFeatures(),
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    tmpDir: os.tmpdir(),
    disk: diskOf(os.tmpdir()),
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number],
    date: new Date().toISOString(),
  };
}

export function describeSource(s: SourceInfo): string {
  const c = s.commit ? `${s.commit.slice(0, 10)}${s.dirty ? ' + uncommitted changes in src/ or native/' : ''}` : 'unknown';
  return `source:  ${c}; addon ${s.addon ? `built ${s.addon.builtAt}` : 'not built'}`;
}

export function describeMachine(m: MachineInfo): string {
  const disk = m.disk ? `${m.disk.device} (${m.disk.fsType}, ${m.disk.availGiB}/${m.disk.sizeGiB} GiB free, mounted on ${m.disk.mount})` : 'unknown';
  return [
    `cpu:     ${m.cpuModel} × ${m.cores} [${m.cpuFeatures.join(' ')}]`,
    `node:    ${m.node} (v8 ${m.v8}) ${m.platform}-${m.arch}, kernel ${m.kernel}, ${m.memoryGiB} GiB RAM`,
    `tmp:     ${m.tmpDir} on ${disk}`,
    `date:    ${m.date} (load average ${m.loadAvg.join(' ')} on ${m.cores} cores)`,
  ].join('\n');
}

/** Commit, dirty src/ or native/, and the build/Release addon's build time, for a checkout at `root`. */
export function sourceInfo(root: string): SourceInfo {
  const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let commit: string | null = null;
  let dirty: boolean | null = null;
  try {
    commit = git(['rev-parse', 'HEAD']);
    dirty = git(['status', '--porcelain', '--', 'src', 'native']).length > 0;
  } catch {
    // not a git checkout
  }
  const addonPath = join(root, 'build', 'Release', 'stemedb.node');
  const addon = existsSync(addonPath) ? { path: addonPath, builtAt: statSync(addonPath).mtime.toISOString() } : null;
  return { commit, dirty, addon };
}
