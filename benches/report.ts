/**
 * `npm run bench` / `stemedb bench`: runs every comparative bench in one
 * process, then writes bench-results/report.md (one table per bench, ours vs
 * each peer with ratios, the targets, the machine) and report.svg (for each
 * compared group: stemedb, its best peer and the physical floor side by side).
 *
 * Run: `npx tsx benches/report.ts [--quick] [--only hash,journal,...]`
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import {
  compact,
  describeMachine,
  describeSource,
  formatResult,
  isMain,
  loadLine,
  renderFloorChart,
  resultsDir,
  writeResult,
  type BenchResult,
  type BenchRun,
  type Bar,
  type Table,
} from './lib/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_ORDER = ['hash', 'journal', 'durable', 'recovery', 'ingest'] as const;

async function loadBench(name: string): Promise<BenchRun | null> {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { run?: BenchRun };
  return mod.run ?? null;
}

function mdCell(c: unknown): string {
  return c === null || c === undefined ? '–' : String(c).replace(/\|/g, '\\|');
}

function mdTable(t: Table): string {
  const lines = [`**${t.title}**`, '', `| ${t.columns.map(mdCell).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(mdCell).join(' | ')} |`);
  for (const n of t.notes ?? []) lines.push('', `_${n}_`);
  return lines.join('\n');
}

/** The load over a report: from the first bench's start to now. */
function summaryLoad(results: readonly BenchResult[], end: readonly number[] = loadavg()): string {
  const first = results[0];
  return loadLine(first?.machine.loadAvg ?? end, end, first?.machine.cores ?? cpus().length);
}

/** The console summary: the load, then one line per target with its verdict and what it was decided on. */
export function renderSummary(results: readonly BenchResult[], end: readonly number[] = loadavg()): string[] {
  const lines = ['# Summary', summaryLoad(results, end)];
  for (const r of results) for (const t of r.targets) lines.push(`${t.pass ? 'PASS' : 'FAIL'}  ${r.name}: ${t.what} (${t.target}): ${t.measured}`);
  return lines;
}

/** "name 296k" for a bar, or why there is none. */
function barCell(b: Bar | null, why: string | undefined): string {
  return b ? `${mdCell(b.name)}: ${compact(b.value, 3)}` : `_${mdCell(why ?? '–')}_`;
}

/** The compared groups as a table (the chart's figures), then the chart. */
function floorSection(results: readonly BenchResult[]): string[] {
  const out = ['## Against the floor', ''];
  out.push(
    'Each group: the same work by stemedb, by its fastest peer and by the physical floor on this machine (benches/README.md, "Floors"). Ratios are paired: each run ÷ the floor\'s run of the same repetition, median.',
    '',
  );
  out.push('| bench | work | unit | stemedb | best peer | floor | stemedb ÷ floor | best peer ÷ floor |', '|---|---|---|---|---|---|---|---|');
  for (const r of results)
    for (const g of r.groups ?? [])
      out.push(
        `| ${r.name} | ${mdCell(g.title)} | ${mdCell(g.unit)} | ${barCell(g.ours, undefined)} | ${barCell(g.peer, g.noPeer)} | ${barCell(g.floor, g.noFloor)} | ${mdCell(g.floor ? g.ours.toFloor : null)} | ${mdCell(g.floor && g.peer ? g.peer.toFloor : null)} |`,
      );
  out.push('', '![stemedb, best peer and floor per group](report.svg)');
  return out;
}

export function renderMarkdown(results: BenchResult[], command: string): string {
  const first = results[0];
  const out: string[] = ['# stemedb benchmark report', ''];
  if (first) {
    out.push(`- **Command:** \`${command}\``);
    out.push(`- **Date:** ${first.machine.date}`);
    out.push('- **Machine:**', '', '```', describeMachine(first.machine), '```', '');
    out.push(`- **Backend:** ${first.backend.backend} (crc32c: ${first.backend.crc32c}; blake3: ${first.backend.blake3}) — ${first.backend.reason}`);
    out.push(`- **Code:** ${describeSource(first.source).replace(/\s+/g, ' ')}`);
    out.push('', 'Figures are medians; ratios compare peers measured in the same run on the same machine.', '');
  }
  out.push('## Targets', '', '| bench | target | requirement | measured | |', '|---|---|---|---|---|');
  for (const r of results)
    for (const t of r.targets) out.push(`| ${r.name} | ${mdCell(t.what)} | ${mdCell(t.target)} | ${mdCell(t.measured)} | ${t.pass ? 'PASS' : '**FAIL**'} |`);
  if (first)
    out.push(
      '',
      `_${summaryLoad(results)}. Targets that compare two methods are decided on the paired ratio (runs of the same repetition, seconds apart); where the medians disagree with it, the row says so._`,
    );
  out.push('', ...floorSection(results), '');
  for (const r of results) {
    out.push(`## ${r.name}`, '', `_${(r.durationMs / 1000).toFixed(1)} s${r.quick ? ', quick run' : ''}_`, '');
    for (const t of r.tables) out.push(mdTable(t), '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** report.svg: each compared group's stemedb, best peer and floor, side by side (lib/chart.ts). */
export function renderSvg(results: readonly BenchResult[]): string {
  return renderFloorChart(results);
}

export async function runReport(opts: { quick: boolean; only?: string[]; log(line: string): void }): Promise<{ reportPath: string; results: BenchResult[] }> {
  const names = opts.only ?? [...BENCH_ORDER];
  const results: BenchResult[] = [];
  for (const name of names) {
    const run = await loadBench(name);
    if (!run) throw new Error(`no bench named ${JSON.stringify(name)} (have ${BENCH_ORDER.join(', ')})`);
    opts.log(`== ${name}${opts.quick ? ' (quick)' : ''}`);
    const res = await run({ quick: opts.quick });
    opts.log(formatResult(res));
    writeResult(res);
    results.push(res);
  }
  mkdirSync(resultsDir, { recursive: true });
  const command = `npm run bench${opts.quick ? ' -- --quick' : ''}${opts.only ? ` -- --only ${opts.only.join(',')}` : ''}`;
  const reportPath = join(resultsDir, 'report.md');
  writeFileSync(reportPath, renderMarkdown(results, command));
  writeFileSync(join(resultsDir, 'report.svg'), renderSvg(results));
  for (const line of renderSummary(results)) opts.log(line);
  return { reportPath, results };
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1]?.split(',').filter(Boolean) : undefined;
  const { reportPath } = await runReport({ quick: argv.includes('--quick'), ...(only ? { only } : {}), log: (l) => process.stdout.write(l + '\n') });
  process.stdout.write(`report: ${reportPath}\n`);
}
