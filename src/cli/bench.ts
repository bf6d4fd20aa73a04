/**
 * `stemedb bench`: runs the comparative benches (hash, journal, durable,
 * recovery, ingest) and writes bench-results/report.md with an SVG chart.
 * The benches live in the repository (benches/), not in the npm package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../native/binding.js';
import { EXIT, UsageError, type Io } from './common.js';

export const USAGE = 'usage: stemedb bench [--quick] [--only hash,journal,durable,recovery,ingest]\n  Runs the benches against their peers; writes bench-results/report.md and report.svg. Needs a repository checkout.';

export async function bench(args: string[], io: Io): Promise<number> {
  const { parseArgs } = await import('node:util');
  let parsed;
  try {
    parsed = parseArgs({ args, options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) return io.out(USAGE), EXIT.ok;
  const candidates = ['report.ts', 'report.js'].map((f) => join(packageRoot, 'benches', f));
  const script = candidates.find((p) => existsSync(p));
  if (!script) throw Object.assign(new Error('the benches are not part of the npm package: run `npm run bench` in a clone of the repository'), { code: 'ENOENT' });
  const mod = (await import(pathToFileURL(script).href)) as { runReport(opts: { quick: boolean; only?: string[]; log(line: string): void }): Promise<{ reportPath: string }> };
  const only = parsed.values.only ? String(parsed.values.only).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const { reportPath } = await mod.runReport({ quick: Boolean(parsed.values.quick), ...(only ? { only } : {}), log: io.out });
  io.out(`report: ${reportPath}`);
  return EXIT.ok;
}
