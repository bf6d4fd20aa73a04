/**
 * Runs every comparative bench in one process (as a `stemedb bench` command
 * would), printing each result and writing bench-results/<name>[.quick].json,
 * then a one-line-per-target summary.
 *
 * Run: `npx tsx benches/all.ts [--quick] [hash journal durable recovery backup]`
 */
import { run as hash } from './hash.js';
import { run as journal } from './journal.js';
import { run as durable } from './durable.js';
import { run as recovery } from './recovery.js';
import { run as backup } from './backup.js';
import { type BenchResult, type BenchRun, formatResult, isMain, log, parseArgs, writeResult } from './lib/index.js';

export const benches: Record<string, BenchRun> = { hash, journal, durable, recovery, backup };

export async function runAll(quick: boolean, names: string[] = Object.keys(benches)): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const name of names) {
    const run = benches[name];
    if (!run) throw new Error(`unknown bench ${JSON.stringify(name)}; have ${Object.keys(benches).join(', ')}`);
    log(`== ${name}`);
    const res = await run({ quick });
    process.stdout.write(formatResult(res) + '\n\n');
    log(`wrote ${writeResult(res)}`);
    results.push(res);
  }
  return results;
}

if (isMain(import.meta.url)) {
  const { quick } = parseArgs();
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const results = await runAll(quick, names.length > 0 ? names : undefined);
  process.stdout.write('# Summary\n');
  for (const r of results) {
    for (const t of r.targets) process.stdout.write(`${t.pass ? 'PASS' : 'FAIL'}  ${r.name}: ${t.what} (${t.target}): ${t.measured}\n`);
  }
}
