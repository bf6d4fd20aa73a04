/** Plain-text table printer (numbers right-aligned, text left-aligned), and a printer for a whole BenchResult. */
import { describeMachine, describeSource } from './machine.js';
import { show } from './fmt.js';
import type { BenchResult, Cell, Table } from './types.js';

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '—';
  return typeof c === 'number' ? show(c) : c;
}

export function formatTable(t: Table): string {
  const cells = t.rows.map((r) => t.columns.map((_, i) => cellText(r[i] ?? null)));
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const widths = t.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`## ${t.title}`, '', line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  for (const n of t.notes ?? []) out.push(`  * ${n}`);
  return out.join('\n');
}

export function formatResult(r: BenchResult): string {
  const b = r.backend;
  const out: string[] = [
    `# ${r.name}${r.quick ? ' (--quick)' : ''}`,
    describeMachine(r.machine),
    describeSource(r.source),
    `backend: ${b.backend} (${b.reason}); crc32c=${b.crc32c}; blake3=${b.blake3}`,
  ];
  if (b.backend !== 'native') out.push('WARNING: stemedb ran on the wasm fallback, not the native addon: these are not native figures.');
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const t of r.tables) out.push('', formatTable(t));
  if (r.targets.length > 0) {
    out.push(
      '',
      formatTable({
        title: 'Targets',
        columns: ['', 'what', 'target', 'measured'],
        rows: r.targets.map((t) => [t.pass ? 'PASS' : 'FAIL', t.what, t.target, t.measured]),
      }),
    );
  }
  out.push('', `(${(r.durationMs / 1000).toFixed(1)} s)`);
  return out.join('\n');
}
