/**
 * One seeded crash-simulation case: a random workload on a Journal over a
 * SimDisk (appends of random sizes across rotations, concurrent group
 * commits, appendBatch, sync, cleanup, reads), ended by a power crash, a
 * process kill or a clean close at a random point (also in the middle of I/O
 * and during recovery), then reopened and checked, several times over.
 *
 * After every reopen it checks that every record the journal promised is
 * there, byte-identical (acknowledged in 'group'/'each'; covered by
 * sync()/durableOffset in 'none'; every acknowledged write after a mere
 * process kill; everything a previous open found, since open declares it
 * durable); that nothing never written is returned; that offsets are
 * contiguous and continue; that recovery only ever cut a torn tail (no
 * refusal, no gap, nothing dropped, nothing outside the tail).
 *
 * Everything is derived from the seed: a failing case throws a CaseFailure
 * whose message starts with the seed and ends with the last events.
 */
import { Journal, type JournalRecord } from '../../src/index.js';
import { JournalFailedError } from '../../src/errors.js';
import type { Durability } from '../../src/journal/write/commit.js';
import type { RecoveryPolicy } from '../../src/journal/recovery/types.js';
import { SimDisk, type SimOp } from './sim-disk.js';
import { rng } from './vectors.js';
import { equalBytes, payloadFor } from './tmp.js';
import { CaseFailure, CheckError, check, type CaseSummary, type CrashCaseOptions, type Known, type Sub } from './sim-case.js';

export { CaseFailure, type CaseSummary, type CrashCaseOptions } from './sim-case.js';

const CRASHED: unique symbol = Symbol('crashed');

export async function runCrashCase(seed: number, options: CrashCaseOptions = {}): Promise<CaseSummary> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const events: string[] = [];
  const note = (s: string) => {
    events.push(s);
    if (events.length > 400) events.splice(0, events.length - 300);
    if (options.trace) console.log(s);
  };
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${timeoutMs} ms (a promise that never settles without a crash)`)), timeoutMs);
  });
  try {
    return await Promise.race([runCase(seed, options, note), watchdog]);
  } catch (err) {
    const e = err as Error;
    const tail = events
      .slice(-60)
      .map((l) => `    ${l}`)
      .join('\n');
    throw new CaseFailure(
      seed,
      `seed ${seed}: ${e.message}\n  rerun: CRASH_SEED=${seed} npx tsx test/crash-sim.test.ts  (CRASH_TRACE=1 for every disk op)\n  last events:\n${tail}${e.stack && !(e instanceof CheckError) ? `\n  ${e.stack}` : ''}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

async function runCase(seed: number, options: CrashCaseOptions, note: (s: string) => void): Promise<CaseSummary> {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const durability: Durability = options.durability ?? pick(['group', 'each', 'none'] as const);
  const kills = options.kills ?? true;
  const faults = options.faults ?? true;
  const segmentBytes = 1024 + int(3072);
  const maxRecordBytes = 3 * segmentBytes;
  const disk = new SimDisk({
    seed: (seed * 2654435761 + 12345) >>> 0,
    sector: r() < 0.8 ? 512 : 4096,
    maxExtraTicks: int(3),
    dirOrder: options.dirOrder ?? 'prefix',
  });
  disk.trace = (line) => note(`  disk: ${line}`);
  const dir = '/wal';
  disk.mkdirp(dir);
  const openOpts = {
    segmentBytes,
    maxRecordBytes,
    durability,
    syncIntervalMs: 0,
    ...(r() < 0.3 ? { maxBatchBytes: 256 + int(4096) } : {}),
    ...(r() < 0.2 ? { maxDelayMicros: 1 + int(900) } : {}),
  };
  const generations = 2 + int(5);
  const summary: CaseSummary = { seed, durability, generations, appends: 0, acked: 0, crashes: 0, kills: 0, closes: 0, openCrashes: 0, faults: 0, torn: 0 };
  note(`case seed=${seed} durability=${durability} segmentBytes=${segmentBytes} opts=${JSON.stringify(openOpts)}`);

  let nextPayloadId = (seed % 100_000) * 1_000_000;
  const sizeOf = () => {
    const x = r();
    if (x < 0.55) return int(200);
    if (x < 0.8) return 200 + int(1000);
    if (x < 0.95) return 1200 + int(Math.max(1, segmentBytes - 1200));
    return segmentBytes + int(segmentBytes);
  };

  // The model.
  let truth = new Map<number, Known>(); // what the last successful open found (declared durable by it)
  let truthEnd = 0;
  let truthFirst = 0;
  // Every record ever submitted, by offset: a cleaned-up segment whose unlink was not yet durable
  // comes back after a crash with its old records (written by some earlier generation).
  const everWritten = new Map<number, Known[]>();
  let cands = new Map<number, Sub>(); // written by the last generation at or after truthEnd
  let mustSurviveCrash: Sub[] = []; // acknowledged durable (or below a durableOffset seen)
  let mustSurviveKill: Sub[] = []; // acknowledged writes: survive a process kill, not a power loss
  let maxCursor = 0;

  const openJournal = async (g: number): Promise<Journal> => {
    for (let attempt = 0; ; attempt++) {
      check(attempt < 20, 'could not open after 20 attempts');
      const policy: RecoveryPolicy = options.policies === false ? 'tolerate-tail' : pick(['tolerate-tail', 'tolerate-tail', 'truncate', 'salvage'] as const);
      const armed = attempt < 4 && g > 0 && r() < 0.25;
      const kind = kills && r() < 0.3 ? 'kill' : 'crash';
      if (armed) disk.crashAfterOps(1 + int(30), kind);
      const gen0 = disk.generation;
      note(`open #${g} attempt ${attempt} policy=${policy}${armed ? ` (${kind} armed)` : ''}`);
      const crashP = disk.whenCrashed();
      let j: Journal | typeof CRASHED;
      try {
        // Each open runs as a new simulated process: a dead journal's leftover code cannot touch the disk.
        j = await Promise.race([Journal.open(dir, { ...openOpts, io: disk.process(), recovery: policy }), crashP.then((): typeof CRASHED => CRASHED)]);
      } catch (err) {
        if (disk.generation !== gen0) j = CRASHED;
        else throw new CheckError(`open #${g} failed (policy ${policy}): ${(err as Error).message}`);
      }
      disk.crashAfterOps(null);
      if (j === CRASHED || disk.generation !== gen0) {
        summary.openCrashes++;
        if (disk.history.at(-1)?.kind === 'crash') mustSurviveKill = [];
        note(`  crashed during open (${disk.history.at(-1)?.kind})`);
        await turn();
        continue;
      }
      return j;
    }
  };

  const verify = async (j: Journal, g: number): Promise<void> => {
    const recs: Array<{ offset: number; next: number; payload: Uint8Array }> = [];
    try {
      for await (const rec of j.iterate()) recs.push({ offset: rec.offset, next: rec.next, payload: rec.payload.slice() });
    } catch (err) {
      throw new CheckError(`iterate after open #${g} failed: ${(err as Error).message}`);
    }
    const rep = j.recovery;
    note(`verify #${g}: ${recs.length} records [${j.firstOffset}, ${j.nextOffset}) truncatedAt=${rep.truncatedAt} corruption=${rep.corruption.length}`);
    if (rep.truncatedAt !== null) summary.torn++;
    let pos = j.firstOffset;
    for (const rec of recs) {
      check(rec.offset === pos, `records not contiguous: expected ${pos}, got ${rec.offset}`);
      pos = rec.next;
    }
    check(pos === j.nextOffset, `last record ends at ${pos} but nextOffset is ${j.nextOffset}`);
    check(j.durableOffset === j.nextOffset, `after open durableOffset ${j.durableOffset} != nextOffset ${j.nextOffset}`);
    check(rep.gaps.length === 0, `recovery skipped regions after a mere crash: ${JSON.stringify(rep.gaps)}`);
    check(rep.recordsDropped === 0, `recovery dropped ${rep.recordsDropped} valid records after a mere crash`);
    const tailName = j.segments.last!.name;
    for (const c of rep.corruption) check(c.segment === tailName || c.offset >= j.nextOffset, `bad bytes outside the tail after a crash: ${JSON.stringify(c)}`);
    const present = new Map<number, { next: number; payload: Uint8Array }>();
    for (const rec of recs) {
      present.set(rec.offset, rec);
      if (rec.offset < truthEnd) {
        const t = truth.get(rec.offset);
        if (t) {
          check(t.next === rec.next && equalBytes(t.payload, rec.payload), `record at ${rec.offset} changed since the last open`);
        } else {
          // Only a cleaned-up segment coming back can hold records the last open did not see.
          check(rec.offset < truthFirst, `record at ${rec.offset} (in [${truthFirst}, ${truthEnd}) of the previous open) was not there before`);
          const old = everWritten.get(rec.offset) ?? [];
          check(
            old.some((k) => k.next === rec.next && equalBytes(k.payload, rec.payload)),
            `record at ${rec.offset} (below the previous first offset ${truthFirst}) was never written there`,
          );
        }
      } else {
        const c = cands.get(rec.offset);
        check(c, `record at ${rec.offset} (len ${rec.payload.length}) was never written there`);
        check(c.next === rec.next && equalBytes(c.payload, rec.payload), `record at ${rec.offset} differs from what was written there`);
      }
    }
    const required: Array<{ offset: number } & Known & { why: string }> = [];
    for (const [offset, t] of truth) required.push({ offset, ...t, why: 'found by the previous open' });
    for (const s of mustSurviveCrash) required.push({ ...s, why: 'acknowledged durable' });
    for (const s of mustSurviveKill) required.push({ ...s, why: 'acknowledged write, only a process died' });
    for (const q of required) {
      const got = present.get(q.offset);
      if (!got) {
        if (q.offset < j.firstOffset && q.next <= maxCursor) continue; // cleaned up
        throw new CheckError(
          `record [${q.offset}, ${q.next}) (${q.why}) is missing after reopen #${g}; journal is [${j.firstOffset}, ${j.nextOffset}), recovery ${JSON.stringify({ ...rep, corruption: rep.corruption.slice(0, 3) })}`,
        );
      }
      check(got.next === q.next && equalBytes(got.payload, q.payload), `record at ${q.offset} (${q.why}) is not byte-identical after reopen #${g}`);
    }
    // A sample of direct reads agrees with iterate.
    for (let k = 0; k < Math.min(5, recs.length); k++) {
      const rec = recs[int(recs.length)]!;
      const got = await j.read(rec.offset);
      check(got && equalBytes(got.payload, rec.payload), `read(${rec.offset}) disagrees with iterate`);
    }
    check((await j.read(j.nextOffset)) === null, 'read at the end is not null');
    truth = new Map();
    for (const rec of recs) truth.set(rec.offset, { next: rec.next, payload: rec.payload });
    truthFirst = j.firstOffset;
    truthEnd = j.nextOffset;
    cands = new Map();
    mustSurviveCrash = [];
    mustSurviveKill = [];
  };

  for (let g = 0; g < generations; g++) {
    const j = await openJournal(g);
    await verify(j, g);
    const gen = disk.generation;
    const crashP = disk.whenCrashed().then((): typeof CRASHED => CRASHED);
    const alive = () => disk.generation === gen;
    const wait = <T>(p: Promise<T>): Promise<T | typeof CRASHED> => Promise.race([p, crashP]);
    const subs: Sub[] = [];
    const pending = new Set<Promise<unknown>>();
    const cleanups = new Set<Promise<unknown>>();
    let durableSeen = j.durableOffset;
    let syncCovered = 0;
    let readerSeen = 0;
    let firstFailure: Error | null = null;
    let faultArmed = false;
    const faultsBefore = disk.stats.faultsFired;
    const sample = () => {
      if (!alive()) return;
      const d = j.durableOffset;
      check(d >= durableSeen, `durableOffset went back from ${durableSeen} to ${d}`);
      check(d <= j.nextOffset, `durableOffset ${d} is past nextOffset ${j.nextOffset}`);
      durableSeen = d;
    };
    const onRejected = (what: string) => (err: unknown) => {
      if (!alive()) return;
      const e = err as Error & { code?: string };
      check(faultArmed && disk.stats.faultsFired > faultsBefore, `${what} rejected without any injected fault: ${e.name}: ${e.message}`);
      check(e instanceof JournalFailedError, `${what} rejected with ${e.name} (${e.message}), not JournalFailedError`);
      if (!firstFailure) {
        firstFailure = e;
        note(`  journal failed: ${e.code} ${e.message}`);
      }
    };
    const track = (p: Promise<unknown>) => {
      pending.add(p);
      void p.then(
        () => pending.delete(p),
        () => pending.delete(p),
      );
    };
    const submit = (payloads: Uint8Array[]) => {
      let offset = j.nextOffset;
      const batch: Sub[] = payloads.map((payload) => {
        const s: Sub = { offset, next: offset + 40 + payload.length, payload, gen, state: 'pending' };
        offset = s.next;
        return s;
      });
      const wasFailed = firstFailure !== null;
      for (const s of batch) {
        subs.push(s);
        cands.set(s.offset, s);
        const old = everWritten.get(s.offset);
        if (old) old.push(s);
        else everWritten.set(s.offset, [s]);
      }
      summary.appends += batch.length;
      const p = payloads.length === 1 && r() < 0.7 ? j.append(payloads[0]!).then((x) => [x]) : j.appendBatch(payloads);
      note(`  append ${batch.map((s) => `[${s.offset},${s.next})`).join(' ')}`);
      track(
        p.then(
          (res) => {
            if (!alive()) return;
            check(!wasFailed, `an append submitted after the journal failed resolved (offset ${batch[0]!.offset})`);
            res.forEach((x, i) => {
              check(
                x.offset === batch[i]!.offset && x.next === batch[i]!.next,
                `append resolved with [${x.offset}, ${x.next}), expected [${batch[i]!.offset}, ${batch[i]!.next})`,
              );
              batch[i]!.state = 'resolved';
            });
            summary.acked += batch.length;
            sample();
          },
          (err) => {
            for (const s of batch) s.state = 'rejected';
            onRejected(`append at ${batch[0]!.offset}`)(err);
          },
        ),
      );
    };
    const newPayload = () => payloadFor(nextPayloadId++, sizeOf());

    if (faults && r() < 0.15) {
      const op: SimOp = pick(['write', 'sync', 'sync', 'fsyncDir'] as const);
      const code = op === 'write' && r() < 0.5 ? 'ENOSPC' : 'EIO';
      disk.failNext({ op, code, after: int(12), path: op === 'fsyncDir' ? undefined : /\.wal$/ });
      faultArmed = true;
      summary.faults++;
      note(`  fault armed: ${op} ${code}`);
    }
    const steps = 1 + int(40);
    const armAt = r();
    if (armAt < 0.6) {
      const kind = kills && r() < 0.3 ? 'kill' : 'crash';
      // Half of the armed crashes fall just before a segment's data sync (its write done).
      const beforeSync = armAt < 0.3;
      const n = beforeSync ? 1 + int(6) : 1 + int(steps * 4);
      disk.crashAfterOps(n, kind, beforeSync ? /^(sync|fsync) .*\.wal$/ : undefined);
      note(`  ${kind} armed at op +${n}${beforeSync ? ' (counting segment syncs)' : ''}`);
    }
    for (let step = 0; step < steps && alive(); step++) {
      const x = r();
      try {
        if (x < 0.35) {
          const k = 1 + int(6);
          for (let i = 0; i < k && alive(); i++) {
            if (j.closed) break;
            submit([newPayload()]);
          }
        } else if (x < 0.45) {
          const k = 1 + int(5);
          submit(Array.from({ length: k }, newPayload));
        } else if (x < 0.55) {
          const list = [...pending];
          if (list.length > 0) await wait(list[int(list.length)]!.catch(() => {}));
        } else if (x < 0.63) {
          await wait(Promise.allSettled([...pending]));
        } else if (x < 0.72) {
          const n = 1 + int(3);
          for (let i = 0; i < n; i++) await turn();
        } else if (x < 0.8) {
          const upTo = j.nextOffset;
          note(`  sync() up to ${upTo}`);
          const p = j.sync().then(() => {
            if (!alive()) return;
            check(j.durableOffset >= upTo, `sync() resolved but durableOffset ${j.durableOffset} < ${upTo}`);
            syncCovered = Math.max(syncCovered, upTo);
            sample();
          }, onRejected('sync()'));
          track(p);
          if (r() < 0.5) await wait(p);
        } else if (x < 0.86) {
          const resolved = subs.filter((s) => s.state === 'resolved');
          const cursor = r() < 0.5 || resolved.length === 0 ? j.durableOffset : resolved[int(resolved.length)]!.offset;
          maxCursor = Math.max(maxCursor, cursor);
          note(`  cleanup(${cursor})`);
          const p: Promise<unknown> = j.cleanup(cursor).then(
            (removed) => note(`  cleanup removed ${removed.join(',') || 'nothing'}`),
            (err) => {
              if (!alive()) return;
              check(faultArmed && disk.stats.faultsFired > faultsBefore, `cleanup failed without an injected fault: ${(err as Error).message}`);
            },
          );
          cleanups.add(p); // close() does not wait for a cleanup in flight (its directory fsync may finish later)
          void p.finally(() => cleanups.delete(p));
          if (r() < 0.7) await wait(p);
        } else if (x < 0.96) {
          const resolved = subs.filter((s) => s.state === 'resolved');
          if (resolved.length > 0 && alive()) {
            const s = resolved[int(resolved.length)]!;
            let got: JournalRecord | null = null;
            try {
              got = await j.read(s.offset);
            } catch (err) {
              // After an injected sync error the disk may have dropped pages that were never durable;
              // read() reads ahead up to the written end and fails on the short file even for a
              // durable record before them (read/segment-frames.ts preadFull of the read-ahead): tolerated here.
              const lostToFault = disk.stats.faultsFired > faultsBefore && (err as { code?: string }).code === 'CORRUPTION';
              if (alive() && !lostToFault && (err as { code?: string }).code !== 'OFFSET_CLEANED')
                throw new CheckError(`read(${s.offset}) of an acknowledged record failed: ${(err as Error).message}`);
            }
            if (got && alive()) check(equalBytes(got.payload, s.payload), `read(${s.offset}) returned different bytes than were appended`);
          }
        } else if (x < 0.98) {
          // A reader in another process sees only what is durable: all of it must survive any crash.
          if (alive()) {
            const rd = await Journal.openReader(dir, { io: disk.process() });
            try {
              const wm = rd.durableOffset;
              let last = -1;
              for await (const rec of rd.iterate({ from: Math.max(rd.firstOffset, truthEnd) })) {
                const c = cands.get(rec.offset);
                check(c && equalBytes(c.payload, rec.payload), `a reader returned a record at ${rec.offset} that was not appended there`);
                check(rec.next <= wm, `a reader returned [${rec.offset}, ${rec.next}) past the durable watermark ${wm}`);
                last = rec.next;
              }
              if (last > readerSeen) {
                readerSeen = last;
                note(`  reader saw up to ${last} (watermark ${wm})`);
              }
            } catch (err) {
              if (err instanceof CheckError) throw err;
              if (!(disk.stats.faultsFired > faultsBefore)) throw new CheckError(`a reader failed: ${(err as Error).message}`);
            } finally {
              rd.close();
            }
          }
        } else {
          if (alive()) {
            try {
              for await (const rec of j.iterate({ from: Math.max(j.firstOffset, truthEnd) })) {
                const c = cands.get(rec.offset);
                check(c && equalBytes(c.payload, rec.payload), `iterate returned a record at ${rec.offset} that was not appended there`);
              }
            } catch (err) {
              if (err instanceof CheckError) throw err;
              // Pages dropped after an injected sync error read back as damage: tolerated, nothing wrong was returned.
              if (!(disk.stats.faultsFired > faultsBefore && (err as { code?: string }).code === 'CORRUPTION')) throw err;
            }
          }
        }
      } catch (err) {
        if (err instanceof CheckError) throw err;
        if (!alive()) break;
        const e = err as Error & { code?: string };
        if (e.code === 'CLOSED') break;
        if (e instanceof JournalFailedError && faultArmed) continue;
        throw new CheckError(`step ${step} threw: ${e.name}: ${e.message}`);
      }
      sample();
    }

    // End of the generation: crash, kill or close (unless an armed crash already hit).
    let how: 'crash' | 'kill' | 'close';
    if (!alive()) {
      how = disk.history.at(-1)!.kind;
    } else {
      const y = r();
      if (y < 0.15) {
        await wait(Promise.allSettled([...pending]));
      }
      if (!alive()) how = disk.history.at(-1)!.kind;
      else if (y < 0.55) how = 'crash';
      else if (y < 0.75 && kills) how = 'kill';
      else how = 'close';
      if (alive()) {
        if (how === 'crash') disk.crash();
        else if (how === 'kill') disk.kill();
        else {
          note('  close()');
          let closeErr: unknown = null;
          const res = await wait(j.close()).catch((e) => {
            closeErr = e;
            return null;
          });
          if (res === CRASHED || !alive()) {
            how = disk.history.at(-1)!.kind;
          } else {
            await turn();
            sample();
            if (closeErr)
              check(faultArmed && disk.stats.faultsFired > faultsBefore, `close() failed without an injected fault: ${(closeErr as Error).message}`);
            check(pending.size === 0 || !alive(), `close() resolved with ${pending.size} operations still pending`);
            check(disk.openFds === 0, `close() left ${disk.openFds} fds open`);
            if (!closeErr && !firstFailure) for (const s of subs) check(s.state === 'resolved', `close() resolved but the append at ${s.offset} did not`);
          }
        }
      }
    }
    disk.crashAfterOps(null);
    if (how === 'crash') summary.crashes++;
    else if (how === 'kill') summary.kills++;
    else summary.closes++;
    const faultFired = disk.stats.faultsFired > faultsBefore;
    note(`end of generation #${g}: ${how}${faultFired ? ' (after a fault)' : ''}; durableSeen=${durableSeen} syncCovered=${syncCovered}`);
    disk.clearFaults();
    // What the next open must find.
    const claimed = Math.max(durableSeen, syncCovered, readerSeen);
    for (const s of subs) {
      const acked = s.state === 'resolved' && s.gen === gen;
      if ((acked && durability !== 'none') || s.next <= claimed) mustSurviveCrash.push(s);
      else if (acked && !faultFired) mustSurviveKill.push(s);
    }
    if (how === 'crash') mustSurviveKill = [];
    await turn();
    await turn();
  }
  // A last open checks the final state and closes cleanly.
  const j = await openJournal(generations);
  await verify(j, generations);
  await j.close();
  check(disk.openFds === 0, `close() left ${disk.openFds} fds open`);
  return summary;
}
