/**
 * The report's compared groups: stemedb, its best peer and the physical floor, picked
 * from the cells of a table the bench already printed. The chart then shows exactly
 * the figures and paired ratios of the tables, and a renamed row shows up as a missing
 * bar instead of a number computed a second way.
 */
import type { BenchResult, Bar, Cell, FloorGroup, Table } from './types.js';

/** Picks the rows holding these cells, e.g. `{ method: "stemedb 'group'", concurrency: 64 }`. */
export type RowPick = Record<string, Cell>;

export interface GroupSpec {
  /** The work compared, e.g. "'group' appends, concurrency 64". */
  title: string;
  /** What the value column counts (higher = faster), e.g. "durable records/s". */
  unit: string;
  /** Column naming each row's method: a bar's label. */
  name: string;
  /** Column with the figure; higher must be faster. */
  value: string;
  /** Column with each row's paired speed ratio to the floor (absent: no floor). */
  toFloor?: string;
  ours: RowPick;
  /** Candidates; the fastest present (by the value column) is the group's peer. */
  peers: RowPick[];
  floor?: RowPick;
  /** Why there is no peer or no floor, for the chart (defaults say only that). */
  noPeer?: string;
  noFloor?: string;
}

function column(table: Table, name: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new Error(`table "${table.title}" has no column "${name}" (has ${table.columns.join(', ')})`);
  return i;
}

/** The group for `spec`, or null when the table has no row for stemedb (a partial run). */
export function floorGroup(table: Table, spec: GroupSpec): FloorGroup | null {
  const nameAt = column(table, spec.name);
  const valueAt = column(table, spec.value);
  const ratioAt = spec.toFloor === undefined ? -1 : column(table, spec.toFloor);
  const picks = Object.entries(spec.ours).map(([c]) => c);
  for (const p of [...spec.peers, ...(spec.floor ? [spec.floor] : [])]) picks.push(...Object.keys(p));
  const at = new Map(picks.map((c) => [c, column(table, c)]));
  const bar = (pick: RowPick): Bar | null => {
    const row = table.rows.find((r) => Object.entries(pick).every(([c, v]) => r[at.get(c)!] === v));
    const value = row?.[valueAt];
    if (!row || typeof value !== 'number' || !(value > 0)) return null;
    const ratio = ratioAt < 0 ? null : row[ratioAt];
    return { name: String(row[nameAt]), value, toFloor: typeof ratio === 'number' ? ratio : null };
  };
  const ours = bar(spec.ours);
  if (!ours) return null;
  const peers = spec.peers.map(bar).filter((b): b is Bar => b !== null);
  const peer = peers.length > 0 ? peers.reduce((a, b) => (b.value > a.value ? b : a)) : null;
  const floor = spec.floor ? bar(spec.floor) : null;
  const group: FloorGroup = { title: spec.title, unit: spec.unit, ours, peer, floor };
  if (!peer) group.noPeer = spec.noPeer ?? 'no peer measured';
  if (!floor) group.noFloor = spec.noFloor ?? 'no floor measured';
  return group;
}

/** Adds the group for `spec` to the result's chart (nothing when stemedb's row is missing). */
export function addGroup(res: BenchResult, table: Table, spec: GroupSpec): void {
  const g = floorGroup(table, spec);
  if (g) (res.groups ??= []).push(g);
}
