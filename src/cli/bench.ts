/**
 * `stemedb bench`: runs the comparative benches (hash, journal, durable,
 * recovery, ingest) and writes bench-results/report.md with an SVG chart.
 * The benches live in the repository (benches/), not in the npm package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../native/binding.js';
import { EXIT, UsageError, type Io } from './common.js';

export const USAGE =
  'usage: stemedb bench [--quick] [--only hash,journal,durable,recovery,ingest]\n  Runs the benches against their peers; writes bench-results/report.md and report.svg. Needs a repository checkout.';

export async function bench(args: string[], io: Io): Promise<number> {
  const { parseArgs } = await import('node:util');
  let parsed;
  try {
    parsed = parseArgs({ args, options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) return (io.out(USAGE), EXIT.ok);
  const candidates = ['report.ts', 'report.js'].map((f) => join(packageRoot, 'benches', f));
  const script = candidates.find((p) => existsSync(p));
  if (!script) {
    io.err(notInstalledMessage());
    return EXIT.failure;
  }
  if (script.endsWith('.ts') && !process.execArgv.join(' ').includes('tsx') && !process.env.NODE_OPTIONS?.includes('tsx')) {
    // A clone with dist/ built: the benches are TypeScript and need tsx, which `npm run bench` brings.
    io.err(
      `stemedb bench: the benches in ${join(packageRoot, 'benches')} are TypeScript; run them with: npm run bench${parsed.values.quick ? ' -- --quick' : ''}`,
    );
    return EXIT.failure;
  }
  const mod = (await import(pathToFileURL(script).href)) as {
    runReport(opts: { quick: boolean; only?: string[]; log(line: string): void }): Promise<{ reportPath: string }>;
  };
  const only = parsed.values.only
    ? String(parsed.values.only)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const { reportPath } = await mod.runReport({ quick: Boolean(parsed.values.quick), ...(only ? { only } : {}), log: io.out });
  io.out(`report: ${reportPath}`);
  return EXIT.ok;
}

/**
 * The benches compare stemedb with peers (dev dependencies) and are not in the
 * npm package: say exactly how to run them from a clone.
 */
function notInstalledMessage(): string {
  const repo = repositoryUrl();
  return [
    'stemedb bench: the benchmarks are not part of the installed package (they compare stemedb with peer',
    'libraries that are only development dependencies). Run them from a clone of the repository:',
    '',
    `  git clone ${repo ?? '<the stemedb repository (npm view stemedb repository.url)>'} stemedb`,
    '  cd stemedb && npm install && npm run bench -- --quick      # drop --quick for the full run',
    '',
    'The report is written to bench-results/report.md.',
  ].join('\n');
}

/** package.json's repository as a URL git can clone, or null when it has none. */
function repositoryUrl(): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { repository?: string | { url?: string } };
    const raw = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    if (!raw) return null;
    if (/^github:|^[\w-]+\/[\w.-]+$/.test(raw)) return `https://github.com/${raw.replace(/^github:/, '')}.git`;
    return raw.replace(/^git\+/, '');
  } catch {
    return null;
  }
}
