/**
 * Backup bench: do durable appends keep their throughput while a backup runs?
 *
 * A journal pre-filled with 4-KiB records (64 MiB; 16 MiB with --quick) takes durable
 * 128-B appends ('group', concurrency 64) for a fixed time (2 s; 0.5 s with --quick):
 *
 *   no backup                   the baseline
 *   during backup (copy)        journal.backup(dest, { link: false }) in the same process,
 *                               restarted as soon as one finishes: every byte streamed,
 *                               the worst case for the writer (it shares the event loop,
 *                               the libuv pool and the disk with the copy)
 *   during backup (hard links)  journal.backup(dest): sealed segments linked, the tail copied
 *
 * 5 repetitions, methods interleaved (the order rotates), each after a system-wide sync; the
 * verdict uses the paired ratio (during ÷ without, in the same repetition), median over them.
 *
 * Run: `npx tsx benches/backup.ts [--quick]`
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { Journal } from '../src/index.js';
import {
  type BenchResult, type Cell, type RunOptions, Samples, finishResult, isMain, log, main,
  makeTempDir, pairedVerdictText, removeTempDir, runFor, sig, spread, startResult, target,
} from './lib/index.js';

const REPS = 5;
const RECORD = 128;
const CONCURRENCY = 64;
const SEGMENT = 16 << 20;
type Mode = 'none' | 'copy' | 'link';
const LABEL: Record<Mode, string> = { none: 'no backup', copy: 'during backup (copy)', link: 'during backup (hard links)' };

async function prefill(dir: string, bytes: number): Promise<void> {
  const j = await Journal.open(dir, { segmentBytes: SEGMENT });
  const batch = Array.from({ length: 64 }, () => randomFillSync(Buffer.allocUnsafe(4096)));
  for (let done = 0; done < bytes; done += 64 * 4096) await j.appendBatch(batch);
  await j.close();
}

/** Appends for `ms` with `mode` backups running alongside; the append rate and the backups completed. */
async function measure(dir: string, mode: Mode, ms: number, payloads: Buffer[]): Promise<{ rate: number; backups: number; mib: number }> {
  const j = await Journal.open(dir, { segmentBytes: SEGMENT });
  let stop = false;
  let backups = 0;
  let bytes = 0;
  const loop = mode === 'none' ? Promise.resolve() : (async () => {
    for (let k = 0; !stop; k++) {
      const dest = join(dir, '..', `bk-${mode}-${k}`);
      const r = await j.backup(dest, { link: mode === 'link' });
      if (!stop) backups++;
      bytes += r.bytesCopied;
      rmSync(dest, { recursive: true, force: true });
    }
  })();
  let i = 0;
  const rate = await runFor(ms, CONCURRENCY, async () => {
    await j.append(payloads[i++ & 1023]!);
    return 1;
  });
  stop = true;
  await loop;
  await j.close();
  return { rate: rate.perSecond, backups, mib: bytes / (1 << 20) };
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('backup', opts);
  const ms = opts.quick ? 500 : 2000;
  const fill = opts.quick ? 16 << 20 : 64 << 20;
  const payloads = Array.from({ length: 1024 }, () => randomFillSync(Buffer.allocUnsafe(RECORD)));
  const modes: Mode[] = ['none', 'copy', 'link'];
  const rates = new Samples();
  const backups = new Samples();
  const mib = new Samples();
  const root = makeTempDir('backup');
  try {
    const dir = join(root, 'wal');
    log(`  prefilling ${fill >> 20} MiB`);
    await prefill(dir, fill);
    for (let rep = 0; rep < REPS; rep++) {
      spawnSync('sync');
      const order = modes.map((_, k) => modes[(k + rep) % modes.length]!);
      for (const mode of order) {
        const r = await measure(dir, mode, ms, payloads);
        rates.add(mode, r.rate);
        backups.add(mode, r.backups);
        mib.add(mode, r.mib);
        log(`  rep ${rep + 1} ${LABEL[mode].padEnd(28)} ${Math.round(r.rate)} appends/s, ${r.backups} backups, ${sig(r.mib, 3)} MiB copied`);
      }
    }
  } finally {
    removeTempDir(root);
  }
  const rows: Cell[][] = modes.map((m) => [
    LABEL[m], sig(rates.median(m), 3), spread(rates.all(m)), m === 'none' ? null : sig(backups.median(m), 3),
    m === 'none' ? null : sig(mib.median(m) / (ms / 1000), 3), sig(rates.pairedRatio(m, 'none'), 3),
  ]);
  res.tables.push({
    title: `Durable ${RECORD}-B appends ('group', concurrency ${CONCURRENCY}) with and without a backup running (${ms / 1000} s per run, median of ${REPS})`,
    columns: ['method', 'appends/s', 'runs min–max', 'backups completed', 'MiB/s copied', '÷ no backup (paired)'],
    rows,
    notes: [
      `The journal holds ${fill >> 20} MiB (plus what the runs append) in ${SEGMENT >> 20}-MiB segments; backups restart as soon as one finishes, so one is always running.`,
      'The backup runs in the writer\'s own process (journal.backup): the worst case, sharing its event loop and libuv pool.',
    ],
  });
  const load = { start: res.machine.loadAvg[0], now: loadavg()[0]!, cores: res.machine.cores };
  for (const m of ['copy', 'link'] as const) {
    const q = rates.pairedRatio(m, 'none');
    target(res, `appends ${LABEL[m]} vs without`, '>= 0.9 of the throughput without a backup (same run)', q, '>=', 0.9,
      pairedVerdictText({ a: rates.median(m), b: rates.median('none'), paired: q, unit: 'appends/s', op: '>=', limit: 0.9, load }));
  }
  return finishResult(res);
}

if (isMain(import.meta.url)) await main(run);
