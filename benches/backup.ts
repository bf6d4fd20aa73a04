/**
 * Backup bench: do durable appends keep their throughput while a backup runs?
 *
 * A journal pre-filled with 4-KiB records (64 MiB; 16 MiB with --quick; made afresh for
 * each repetition, so what the runs append stays bounded) takes durable
 * 128-B appends ('group', concurrency 64). Each repetition measures, in a rotating order:
 *
 *   no backup                   appends alone for a fixed time (2 s; 0.5 s with --quick)
 *   during backup (copy)        journal.backup(dest, { link: false }) at the default pace,
 *                               restarted as soon as one finishes, so one is always running
 *   during backup (copy, unpaced)  the same with maxBytesPerSecond: Infinity
 *   during backup (hard links)  journal.backup(dest) restarted likewise: sealed segments
 *                               linked, the tail copied
 *   one backup                  a single journal.backup(dest, { link: false }) at the default
 *                               pace from start to end, appends alongside for its duration,
 *                               and appends alone for as long (after it, or before it every
 *                               other repetition): what a user sees
 *
 * Each repetition runs none, A, none, B, none, C, none (A, B, C the looped modes, rotating):
 * a mode's paired ratio is its rate ÷ the mean of the runs without a backup right before
 * and after it (on a shared host the rate drifts 2-4x within a minute). The verdicts use
 * the median of the paired ratios over 7 repetitions; the copy rate is the bytes copied inside the timed window ÷ its length.
 * Backups are removed after each window, outside it. The load average is printed per line.
 *
 * Run: `npx tsx benches/backup.ts [--quick]`
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { Journal } from '../src/index.js';
import { DEFAULT_BACKUP_BYTES_PER_SECOND } from '../src/journal/backup.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  Samples,
  finishResult,
  isMain,
  log,
  main,
  makeTempDir,
  pairedVerdictText,
  removeTempDir,
  runFor,
  sig,
  spread,
  startResult,
  target,
} from './lib/index.js';

const REPS = 7;
const RECORD = 128;
const CONCURRENCY = 64;
const SEGMENT = 16 << 20;
const MIB = 1 << 20;
type Looped = 'copy' | 'unpaced' | 'link';
type Mode = 'none' | Looped;
const LABEL: Record<Mode | 'once', string> = {
  none: 'no backup',
  copy: 'during backup (copy)',
  unpaced: 'during backup (copy, unpaced)',
  link: 'during backup (hard links)',
  once: 'one backup (copy), start to end',
};

async function prefill(dir: string, bytes: number): Promise<void> {
  const j = await Journal.open(dir, { segmentBytes: SEGMENT });
  const batch = Array.from({ length: 64 }, () => randomFillSync(Buffer.allocUnsafe(4096)));
  for (let done = 0; done < bytes; done += 64 * 4096) await j.appendBatch(batch);
  await j.close();
}

function appendLoop(j: Journal, ms: number, payloads: Buffer[]) {
  let i = 0;
  return runFor(ms, CONCURRENCY, () => j.append(payloads[i++ & 1023]!));
}

function removeBackups(root: string, names: string[]): void {
  for (const n of names) rmSync(join(root, n), { recursive: true, force: true });
}

/** Appends for `ms` with `mode` backups running alongside; the append rate and the copy rate inside the window. */
async function measure(root: string, mode: Mode, ms: number, payloads: Buffer[]): Promise<{ rate: number; backups: number; mibPerSecond: number }> {
  const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEGMENT });
  let stop = false;
  let backups = 0;
  let bytes = 0;
  const made: string[] = [];
  const loop =
    mode === 'none'
      ? Promise.resolve()
      : (async () => {
          for (let k = 0; !stop; k++) {
            made.push(`bk-${mode}-${k}`);
            let seen = 0;
            await j.backup(join(root, made[k]!), {
              link: mode === 'link',
              maxBytesPerSecond: mode === 'unpaced' ? Infinity : DEFAULT_BACKUP_BYTES_PER_SECOND,
              onProgress: (total) => {
                if (!stop) bytes += total - seen;
                seen = total;
              },
            });
            if (!stop) backups++;
          }
        })();
  const rate = await appendLoop(j, ms, payloads);
  stop = true;
  await loop;
  await j.close();
  removeBackups(root, made);
  return { rate: rate.perSecond, backups, mibPerSecond: bytes / MIB / rate.seconds };
}

/**
 * One paced backup start to end with appends alongside, and appends alone for as long:
 * after a warm-up (a fresh open's first appends are slower), in the order given.
 */
async function measureOnce(
  root: string,
  payloads: Buffer[],
  aloneFirst: boolean,
  guessSeconds: number,
): Promise<{ during: number; alone: number; seconds: number; mibPerSecond: number }> {
  const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEGMENT });
  try {
    await appendLoop(j, 300, payloads);
    const first = aloneFirst ? await appendLoop(j, guessSeconds * 1000, payloads) : undefined;
    let done = false;
    const t0 = performance.now();
    const backup = j.backup(join(root, 'bk-once'), { link: false }).finally(() => {
      done = true;
    });
    let i = 0;
    let ops = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!done) {
          await j.append(payloads[i++ & 1023]!);
          ops++;
        }
      }),
    );
    const r = await backup;
    const seconds = (performance.now() - t0) / 1000;
    const alone = first ?? (await appendLoop(j, seconds * 1000, payloads));
    return { during: ops / seconds, alone: alone.perSecond, seconds, mibPerSecond: r.bytesCopied / MIB / seconds };
  } finally {
    await j.close();
    removeBackups(root, ['bk-once']);
  }
}

const load1 = () => loadavg()[0]!.toFixed(1);

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('backup', opts);
  const ms = opts.quick ? 500 : 2000;
  const fill = opts.quick ? 16 << 20 : 64 << 20;
  const payloads = Array.from({ length: 1024 }, () => randomFillSync(Buffer.allocUnsafe(RECORD)));
  const looped: Looped[] = ['copy', 'unpaced', 'link'];
  const modes: Mode[] = ['none', ...looped];
  const rates = new Samples();
  const backups = new Samples();
  const mibs = new Samples();
  const once = new Samples();
  const root = makeTempDir('backup');
  try {
    log(`  prefilling ${fill >> 20} MiB before each repetition`);
    for (let rep = 0; rep < REPS; rep++) {
      // A fresh journal per repetition: the runs append ~30 MB/s, so a journal kept across
      // repetitions would grow threefold per "one backup" and stretch it without end.
      rmSync(join(root, 'wal'), { recursive: true, force: true });
      await prefill(join(root, 'wal'), fill);
      spawnSync('sync');
      // none, A, none, B, none, C, none: each mode is paired with the mean of the runs
      // without a backup right before and right after it (a drifting machine cancels out).
      const order = looped.map((_, k) => looped[(k + rep) % looped.length]!);
      const sequence: Mode[] = ['none', ...order.flatMap((m): Mode[] => [m, 'none'])];
      const got: { mode: Mode; rate: number }[] = [];
      for (const mode of sequence) {
        const r = await measure(root, mode, ms, payloads);
        got.push({ mode, rate: r.rate });
        rates.add(mode, r.rate);
        if (mode !== 'none') {
          backups.add(mode, r.backups);
          mibs.add(mode, r.mibPerSecond);
        }
        log(
          `  rep ${rep + 1} ${LABEL[mode].padEnd(30)} ${Math.round(r.rate)} appends/s, ${r.backups} backups, ${sig(r.mibPerSecond, 3)} MiB/s copied (load ${load1()})`,
        );
      }
      for (let k = 1; k < got.length; k += 2) rates.add(`around:${got[k]!.mode}`, (got[k - 1]!.rate + got[k + 1]!.rate) / 2);
      spawnSync('sync');
      const o = await measureOnce(root, payloads, rep % 2 === 1, once.has('seconds') ? once.median('seconds') : fill / DEFAULT_BACKUP_BYTES_PER_SECOND);
      once.add('during', o.during);
      once.add('alone', o.alone);
      once.add('seconds', o.seconds);
      once.add('mib', o.mibPerSecond);
      log(
        `  rep ${rep + 1} ${LABEL.once.padEnd(30)} ${sig(o.seconds, 3)} s at ${sig(o.mibPerSecond, 3)} MiB/s: ${Math.round(o.during)} appends/s, ${Math.round(o.alone)} alone ${rep % 2 === 1 ? 'before' : 'after'} (load ${load1()})`,
      );
    }
  } finally {
    removeTempDir(root);
  }
  const pace = `${DEFAULT_BACKUP_BYTES_PER_SECOND / MIB} MiB/s`;
  const rows: Cell[][] = modes.map((m) => [
    LABEL[m],
    sig(rates.median(m), 3),
    spread(rates.all(m)),
    m === 'none' ? null : sig(backups.median(m), 3),
    m === 'none' ? null : sig(mibs.median(m), 3),
    m === 'none' ? 1 : sig(rates.pairedRatio(m, `around:${m}`), 3),
  ]);
  rows.push([
    LABEL.once,
    sig(once.median('during'), 3),
    spread(once.all('during')),
    1,
    sig(once.median('mib'), 3),
    sig(once.pairedRatio('during', 'alone'), 3),
  ]);
  res.tables.push({
    title: `Durable ${RECORD}-B appends ('group', concurrency ${CONCURRENCY}) with and without a backup running (${ms / 1000} s per run, median of ${REPS})`,
    columns: ['method', 'appends/s', 'runs min–max', 'backups completed', 'MiB/s copied', '÷ no backup (paired)'],
    rows,
    notes: [
      `Each repetition starts from a fresh journal of ${fill >> 20} MiB (plus what its runs append) in ${SEGMENT >> 20}-MiB segments. Copies go at the default pace (maxBytesPerSecond ${pace}) unless "unpaced".`,
      "The backup runs in the writer's own process (journal.backup): it shares its event loop and libuv pool.",
      `"${LABEL.once}": one backup of the whole journal, ${sig(once.median('seconds'), 3)} s (median); its ratio is against appends alone for as long, right after or (every other repetition) right before, in the same open journal.`,
    ],
  });
  const load = { start: res.machine.loadAvg[0], now: loadavg()[0]!, cores: res.machine.cores };
  const verdict = (what: string, a: number, b: number, q: number) =>
    target(
      res,
      what,
      '>= 0.9 of the throughput without a backup (same run)',
      q,
      '>=',
      0.9,
      pairedVerdictText({ a, b, paired: q, unit: 'appends/s', op: '>=', limit: 0.9, load }),
    );
  verdict(`appends ${LABEL.once} vs without`, once.median('during'), once.median('alone'), once.pairedRatio('during', 'alone'));
  for (const m of ['copy', 'link'] as const)
    verdict(`appends ${LABEL[m]} vs without`, rates.median(m), rates.median(`around:${m}`), rates.pairedRatio(m, `around:${m}`));
  return finishResult(res);
}

if (isMain(import.meta.url)) await main(run);
