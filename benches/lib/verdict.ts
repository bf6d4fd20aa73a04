/**
 * The words next to a target decided on a paired ratio. Medians of two methods
 * compare runs made minutes apart; a paired ratio compares runs made seconds
 * apart, under the same load. On a busy machine the two can disagree by a lot
 * ("584 vs 3703 (medians) ... PASS"), so the text always says which one the
 * verdict uses, and when they disagree, why, with the load.
 */
import { cpus, loadavg } from 'node:os';
import { sig } from './fmt.js';

export interface PairedFigures {
  /** Median of the measured method and of its baseline, in `unit`. */
  a: number;
  b: number;
  /** Median over repetitions of a[i] / b[i]. */
  paired: number;
  unit: string;
  op: '>=' | '<=';
  limit: number;
  /** Formats a median for display (default: 3 significant digits). */
  format?: (x: number) => string;
  /** 1-minute load averages at the start of the bench and now (default: os.loadavg()). */
  load?: { start: number; now: number; cores: number };
}

/** Medians whose ratio is this far (either way) from the paired ratio "disagree". */
export const DISAGREE_FACTOR = 1.25;

export function pairedVerdictText(f: PairedFigures): string {
  const show = f.format ?? ((x: number) => String(sig(x, 3)));
  const medianRatio = f.a / f.b;
  const passes = (x: number) => (f.op === '>=' ? x >= f.limit : x <= f.limit);
  const base = `${show(f.a)} vs ${show(f.b)} ${f.unit} (medians, ratio ${sig(medianRatio, 3)}); paired ratio ${sig(f.paired, 3)}: the verdict uses the paired ratio`;
  const apart = Math.max(medianRatio / f.paired, f.paired / medianRatio);
  if (passes(medianRatio) === passes(f.paired) && apart < DISAGREE_FACTOR) return base;
  const load = f.load ?? { start: Number.NaN, now: loadavg()[0]!, cores: cpus().length };
  const loadText = `load average ${Number.isFinite(load.start) ? `${load.start.toFixed(2)} at the start, ` : ''}${load.now.toFixed(2)} now, on ${load.cores} cores`;
  return `${base}. The two disagree${passes(medianRatio) !== passes(f.paired) ? ' on the verdict' : ` by ${sig(apart, 2)}x`}, as they do when the machine's load changes between repetitions (${loadText}): the medians compare runs made minutes apart, each paired ratio two runs made seconds apart under the same load`;
}

/** "load average 1.52 (start) -> 3.10 (end) on 2 cores": the summary's load line. */
export function loadLine(start: readonly number[], end: readonly number[], cores: number): string {
  const f = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  return `load average (1, 5, 15 min) ${f(start)} at the start, ${f(end)} at the end, on ${cores} cores; a loaded machine lowers every figure, paired ratios least`;
}
