/**
 * report.svg: for each compared group of every bench (lib/floor.ts), three bars side by
 * side: stemedb, its best peer and the physical floor on this machine, each labelled with
 * its figure and its paired ratio to the floor. Groups measure different things (GB/s,
 * records/s), so each has its own scale: its longest bar spans the width.
 */
import { compact, sig } from './fmt.js';
import type { Bar, BenchResult, FloorGroup } from './types.js';

export const COLORS = { ours: '#1f63b4', peer: '#e08a00', floor: '#7a7a7a' } as const;
const ROLE_TEXT = { ours: 'stemedb', peer: 'best peer (fastest by median)', floor: 'floor: the same work done raw on this machine' } as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const WIDTH = 1100;
const LABEL_END = 452; // labels are right-aligned against the bars
const BAR_START = 460;
const BAR_END = 880; // the rest is for the figure and the ratio
const ROW = 18;
const HEAD = 22;
const GAP = 12;
const TOP = 84;

function ratioText(role: keyof typeof COLORS, b: Bar, g: FloorGroup): string {
  if (role === 'floor') return `${compact(b.value, 3)}`;
  if (b.toFloor !== null && g.floor) return `${compact(b.value, 3)} · ${sig(b.toFloor, 2)}× floor`;
  if (role === 'peer') return `${compact(b.value, 3)} · ${sig(b.value / g.ours.value, 2)}× stemedb`;
  return compact(b.value, 3);
}

/** The SVG of every result's groups, in order; a note instead when there are none. */
export function renderFloorChart(results: readonly BenchResult[]): string {
  const groups = results.flatMap((r) => (r.groups ?? []).map((g) => ({ bench: r.name, g })));
  // Three rows per group, a bar or the reason there is none: the roles line up down the chart.
  const height = TOP + groups.length * (HEAD + 3 * ROW + GAP) + (groups.length === 0 ? 30 : 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">stemedb, its best peer and the floor on this machine (same run)</text>`,
    `<text x="12" y="40" fill="#444">Bars: medians, longer is faster; each group on its own scale. "× floor": paired speed ratio to the floor (1 = as fast as the raw work).</text>`,
  ];
  let lx = 12;
  for (const role of ['ours', 'peer', 'floor'] as const) {
    out.push(`<rect x="${lx}" y="54" width="14" height="12" fill="${COLORS[role]}"/>`);
    out.push(`<text x="${lx + 20}" y="64">${esc(ROLE_TEXT[role])}</text>`);
    lx += 40 + ROLE_TEXT[role].length * 6.6;
  }
  if (groups.length === 0) out.push(`<text x="12" y="${TOP + 10}" fill="#444">No compared groups in these results.</text>`);
  let y = TOP;
  for (const { bench, g } of groups) {
    out.push(
      `<text x="12" y="${y + 15}" font-weight="bold">${esc(`${bench}: ${g.title}`)} <tspan font-weight="normal" fill="#555">(${esc(g.unit)})</tspan></text>`,
    );
    y += HEAD;
    const max = Math.max(g.ours.value, g.peer?.value ?? 0, g.floor?.value ?? 0);
    const rows: Array<[keyof typeof COLORS, Bar | null, string | undefined]> = [
      ['ours', g.ours, undefined],
      ['peer', g.peer, g.noPeer],
      ['floor', g.floor, g.noFloor],
    ];
    for (const [role, b, why] of rows) {
      if (b) {
        const w = Math.max(1, (b.value / max) * (BAR_END - BAR_START));
        out.push(`<text x="${LABEL_END}" y="${y + 13}" text-anchor="end">${esc(clip(b.name, 68))}</text>`);
        out.push(`<rect x="${BAR_START}" y="${y + 3}" width="${sig(w, 4)}" height="${ROW - 6}" fill="${COLORS[role]}"/>`);
        out.push(`<text x="${sig(BAR_START + w + 6, 4)}" y="${y + 13}">${esc(ratioText(role, b, g))}</text>`);
      } else {
        out.push(`<text x="${LABEL_END}" y="${y + 13}" text-anchor="end" fill="#777">${role === 'peer' ? 'no peer' : 'no floor'}</text>`);
        out.push(`<text x="${BAR_START}" y="${y + 13}" fill="#777" font-style="italic">${esc(clip(why ?? '', 95))}</text>`);
      }
      y += ROW;
    }
    y += GAP;
  }
  out.push('</svg>');
  return out.join('\n');
}
