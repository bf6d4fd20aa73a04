/**
 * The shared bench harness: argv parsing (--quick), machine and backend info,
 * result assembly, table printing and the JSON writer (bench-results/<name>.json).
 *
 * A bench module looks like:
 *
 *     export async function run(opts: RunOptions): Promise<BenchResult> {
 *       const res = startResult('hash', opts);
 *       ... res.tables.push(...); res.targets.push(...);
 *       return finishResult(res);
 *     }
 *     if (isMain(import.meta.url)) await main(run);
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../../src/index.js';
import { machineInfo, sourceInfo } from './machine.js';
import { formatResult } from './table.js';
import type { BenchResult, BenchRun, RunOptions, Target } from './types.js';

export * from './types.js';
export { formatResult, formatTable } from './table.js';
export { machineInfo, describeMachine, sourceInfo, describeSource } from './machine.js';
export { sig, median, bytesLabel, show, ratio, gbps, spread, compact } from './fmt.js';
export { makeTempDir, removeTempDir, withTempDir } from './tmp.js';
export { pairedVerdictText, loadLine, DISAGREE_FACTOR, type PairedFigures } from './verdict.js';

/** Repository root (benches/lib/ is two levels below it). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const resultsDir = join(repoRoot, 'bench-results');

/** { quick } from argv: `--quick` (or `-q`) anywhere. */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): RunOptions {
  return { quick: argv.includes('--quick') || argv.includes('-q') };
}

/** True when the module with this import.meta.url is the script node/tsx was started with. */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  const self = fileURLToPath(metaUrl);
  const given = resolve(script);
  return given === self || given === self.replace(/\.ts$/, '') || given.replace(/\.js$/, '.ts') === self;
}

const started = new WeakMap<BenchResult, number>();

/** A BenchResult with machine and backend info filled in and the clock started. */
export function startResult(name: string, opts: RunOptions): BenchResult {
  const res: BenchResult = {
    name,
    quick: opts.quick,
    machine: machineInfo(),
    backend: { ...backendInfo },
    source: sourceInfo(repoRoot),
    durationMs: 0,
    tables: [],
    targets: [],
    notes: [],
  };
  started.set(res, performance.now());
  return res;
}

export function finishResult(res: BenchResult): BenchResult {
  const t0 = started.get(res);
  if (t0 !== undefined) res.durationMs = Math.round(performance.now() - t0);
  res.notes.push(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (start: ${res.machine.loadAvg.join(' ')}); a busy shared machine skews every figure, ratios least.`,
  );
  return res;
}

/** Adds a target: `pass` decided by comparing value with limit ('>=' or '<='). */
export function target(res: BenchResult, what: string, targetText: string, value: number, op: '>=' | '<=', limit: number, measured: string): Target {
  const pass = Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit);
  const t: Target = { what, target: targetText, measured, pass, value, limit };
  res.targets.push(t);
  return t;
}

/** Writes bench-results/<name>.json (or <name>.quick.json); returns the path. */
export function writeResult(res: BenchResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${res.name}${res.quick ? '.quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(res, null, 2) + '\n');
  return file;
}

/** "name@version, ..." of installed packages (read from node_modules), for a result's notes. */
export function versions(names: readonly string[]): string {
  return names
    .map((n) => {
      try {
        return `${n}@${(JSON.parse(readFileSync(join(repoRoot, 'node_modules', n, 'package.json'), 'utf8')) as { version: string }).version}`;
      } catch {
        return `${n}@?`;
      }
    })
    .join(', ');
}

/** Progress on stderr (tables go to stdout). */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Entry point for `npx tsx benches/NAME.ts [--quick]`: run, print, write JSON. */
export async function main(run: BenchRun): Promise<void> {
  const opts = parseArgs();
  const res = await run(opts);
  process.stdout.write(formatResult(res) + '\n');
  log(`wrote ${writeResult(res)}`);
}
export { buildFrames, FRAME_HEADER, type Frames } from './frames.js';
export { runFor, runForSync, timeIt, Samples, type Rate } from './timing.js';
export { addGroup, floorGroup, type GroupSpec, type RowPick } from './floor.js';
export { renderFloorChart } from './chart.js';
