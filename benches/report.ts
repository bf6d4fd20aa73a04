/**
 * `npm run bench` / `stemedb bench`: runs every comparative bench in one
 * process, then writes bench-results/report.md (one table per bench, ours vs
 * each peer with ratios, the targets, the machine) and report.svg (a chart of
 * each target's measured value against its threshold).
 *
 * Run: `npx tsx benches/report.ts [--quick] [--only hash,journal,...]`
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import {
  describeMachine,
  describeSource,
  formatResult,
  isMain,
  loadLine,
  resultsDir,
  writeResult,
  type BenchResult,
  type BenchRun,
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
  out.push('', '![ratios](report.svg)', '');
  for (const r of results) {
    out.push(`## ${r.name}`, '', `_${(r.durationMs / 1000).toFixed(1)} s${r.quick ? ', quick run' : ''}_`, '');
    for (const t of r.tables) out.push(mdTable(t), '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars: each target's value as a multiple of its threshold (for '<=' targets, threshold / value), 1.0 = the target. */
export function renderSvg(results: BenchResult[]): string {
  const bars: Array<{ label: string; x: number; pass: boolean }> = [];
  for (const r of results) {
    for (const t of r.targets) {
      if (t.value === undefined || t.limit === undefined || !(t.value > 0) || !(t.limit > 0)) continue;
      const upIsGood = t.target.trim().startsWith('>=');
      bars.push({ label: `${r.name}: ${t.what}`, x: upIsGood ? t.value / t.limit : t.limit / t.value, pass: t.pass });
    }
  }
  const rowH = 22;
  const left = 420;
  const width = 900;
  const scaleMax = Math.max(2, ...bars.map((b) => Math.min(b.x, 10)));
  const px = (x: number) => left + (Math.min(x, scaleMax) / scaleMax) * (width - left - 60);
  const height = 50 + bars.length * rowH + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20" font-size="14" font-weight="bold">measured ÷ target (1.0 = target met; longer is better)</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 40 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label.slice(0, 60))}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(1, px(b.x) - left)}" height="${rowH - 8}" fill="${b.pass ? '#2f8f4e' : '#c0392b'}"/>`);
    parts.push(`<text x="${px(b.x) + 4}" y="${y + 14}">${b.x >= 10 ? '≥10' : b.x.toFixed(2)}×</text>`);
  });
  const one = px(1);
  parts.push(`<line x1="${one}" y1="32" x2="${one}" y2="${height - 10}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push('</svg>');
  return parts.join('\n');
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
