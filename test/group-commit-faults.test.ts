// @both-backends — fail-stop under injected I/O errors (simulated disk, through the JournalIO
// interface): a failed sync or write rejects its batch and every later append with a
// JournalFailedError carrying the errno code; an fsync is never retried and reported as success;
// durableOffset never passes what a sync covered; recovery after the fault keeps every acknowledged
// record. Env: FAULT_SEEDS=n seeds per combination in the sweep (default 12).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal, backend } from '../src/index.js';
import { JournalFailedError } from '../src/errors.js';
import type { Durability } from '../src/journal/write/commit.js';
import { SimDisk, type CrashMode, type FaultSpec } from './helpers/sim-disk.js';
import { rejects } from './helpers/assert.js';
import { equalBytes, payloadFor } from './helpers/tmp.js';
import { rng } from './helpers/vectors.js';

const DIR = '/faults';
const SEEDS = Number(process.env.FAULT_SEEDS ?? 12);

interface Acked {
  offset: number;
  next: number;
  payload: Uint8Array;
}

function newDisk(seed: number): SimDisk {
  const disk = new SimDisk({ seed });
  disk.mkdirp(DIR);
  return disk;
}

function open(disk: SimDisk, durability: Durability = 'group', extra: Record<string, unknown> = {}): Promise<Journal> {
  return Journal.open(DIR, { io: disk.process(), durability, segmentBytes: 4096, syncIntervalMs: 0, ...extra });
}

async function appendAll(j: Journal, ids: number[], size = 100): Promise<Acked[]> {
  const out: Acked[] = [];
  for (const i of ids) {
    const payload = payloadFor(i, size + (i % 50));
    const r = await j.append(payload);
    out.push({ offset: r.offset, next: r.next, payload });
  }
  return out;
}

async function expectAll(j: Journal, acked: readonly Acked[], ctx: string, end = j.nextOffset): Promise<void> {
  for (const a of acked) {
    const rec = await j.read(a.offset).catch((e: Error) => {
      throw new Error(`${ctx}: read(${a.offset}) of an acknowledged record failed: ${e.message}`);
    });
    assert.ok(rec && equalBytes(rec.payload, a.payload) && rec.next === a.next, `${ctx}: acknowledged record at ${a.offset} missing or different`);
  }
  let prev = j.firstOffset;
  for await (const rec of j.iterate()) {
    assert.is(rec.offset, prev, `${ctx}: records are contiguous`);
    prev = rec.next;
  }
  assert.is(prev, end, `${ctx}: iterate ends at ${end}`);
}

const isFailed = (code: string) => (e: Error & { code?: string }) => e instanceof JournalFailedError && e.code === code;

test(`an injected EIO on a sync rejects that batch, the queue and every later append (${backend})`, async () => {
  const disk = newDisk(1);
  const j = await open(disk);
  const acked = await appendAll(j, [1, 2, 3]);
  const durableBefore = j.durableOffset;
  disk.failNext({ op: 'sync', code: 'EIO', path: /\.wal$/ });
  // One append goes out as a batch, the next four queue behind it.
  const burst = [10, 11, 12, 13, 14].map((i) => j.append(payloadFor(i, 64)));
  const errors = await Promise.all(burst.map((p) => rejects(p, isFailed('EIO'), 'a burst append rejects with JournalFailedError EIO')));
  assert.ok(
    errors.every((e) => e === errors[0]),
    'the batch and the queue reject with the same error',
  );
  const err = errors[0] as JournalFailedError;
  assert.is(err.syscall, 'fdatasync');
  assert.match(err.message, /EIO/);
  assert.match(err.message, /reopen/);
  await rejects(j.append(payloadFor(20, 10)), isFailed('EIO'), 'a later append rejects');
  await rejects(j.appendBatch([payloadFor(21, 10), payloadFor(22, 10)]), isFailed('EIO'), 'a later appendBatch rejects');
  await rejects(j.sync(), isFailed('EIO'), 'sync() rejects');
  assert.is(j.stats().failed, 'EIO');
  assert.is(j.durableOffset, durableBefore, 'durableOffset did not move');
  // (nextOffset keeps counting the offsets handed to the rejected appends; the data ends at durableOffset.)
  await expectAll(j, acked, 'the failed journal still reads what was acknowledged', j.durableOffset);
  await j.close();
  assert.is(disk.openFds, 0, 'close releases every fd');
});

test('ENOSPC on a write says the disk is full, with code ENOSPC', async () => {
  for (const durability of ['group', 'each', 'none'] as const) {
    const disk = newDisk(2);
    const j = await open(disk, durability);
    await appendAll(j, [1, 2]);
    disk.failNext({ op: 'write', code: 'ENOSPC', path: /\.wal$/ });
    const e = await rejects(j.append(payloadFor(3, 300)), isFailed('ENOSPC'), `${durability}: ENOSPC`);
    assert.match(e.message, /disk is full|no space/i, `${durability}: the message says the disk is full: ${e.message}`);
    await rejects(j.append(payloadFor(4, 10)), isFailed('ENOSPC'), `${durability}: a later append says ENOSPC too`);
    assert.is(j.stats().failed, 'ENOSPC');
    await j.close();
  }
});

test('an fsync is never retried after it failed, and never reported as success', async () => {
  for (const durability of ['group', 'each', 'none'] as const) {
    for (const pages of ['keep', 'drop'] as const) {
      const disk = newDisk(3);
      const j = await open(disk, durability);
      await appendAll(j, [1, 2, 3]);
      if (durability === 'none') await j.sync();
      const durableBefore = j.durableOffset;
      const seg = `${DIR}/${j.segments.last!.name}`;
      disk.failNext({ op: 'sync', code: 'EIO', path: /\.wal$/, pages });
      const p = j.append(payloadFor(9, 500));
      if (durability === 'none') {
        await p; // 'none': the write is acknowledged, the sync is what fails
        await rejects(j.sync(), isFailed('EIO'), `${durability}: sync() rejects`);
      } else {
        await rejects(p, isFailed('EIO'), `${durability}/${pages}: the append rejects`);
      }
      const syncsAfterFailure = disk.stats.syncsByPath.get(seg) ?? 0;
      assert.is(j.durableOffset, durableBefore, `${durability}/${pages}: durableOffset unchanged`);
      await rejects(j.sync(), isFailed('EIO'), `${durability}/${pages}: a second sync() rejects too`);
      await rejects(j.append(payloadFor(10, 5)), isFailed('EIO'));
      await j.close();
      assert.is(
        disk.stats.syncsByPath.get(seg) ?? 0,
        syncsAfterFailure,
        `${durability}/${pages}: the segment was not fsynced again after the failure (not even by close)`,
      );
      assert.is(j.durableOffset, durableBefore, `${durability}/${pages}: durableOffset still unchanged after close`);
    }
  }
});

test('an I/O error during recovery fails the open: not corruption, nothing truncated', async () => {
  const disk = newDisk(4);
  const j = await open(disk, 'none');
  const acked = await appendAll(j, [1, 2, 3, 4]);
  await j.sync();
  await appendAll(j, [5, 6, 7], 900); // unsynced: torn by the crash, so recovery has to cut
  const tail = `${DIR}/${j.segments.last!.name}`;
  disk.crash({ mode: 'all' }); // the process dies with the journal open
  const bytes = disk.readFile(tail)!;
  disk.writeFile(tail, bytes.subarray(0, bytes.length - 10)); // the last write torn: recovery must cut it
  const snap = disk.snapshot();
  let failedOpens = 0;
  for (const spec of [
    { op: 'read', path: /\.wal$/ },
    { op: 'read', path: /durable$/ },
    { op: 'truncate' },
    { op: 'sync', path: /\.wal$/ },
    { op: 'sync', path: /broken/ },
    { op: 'write' },
    { op: 'fsyncDir' },
    { op: 'open', path: /broken/ },
  ] as FaultSpec[]) {
    disk.restore(snap);
    const before = disk.dump(DIR);
    disk.clearFaults();
    disk.failNext({ ...spec, code: 'EIO' });
    const label = `${spec.op} ${spec.path ?? ''}`;
    let err: (Error & { code?: string }) | null = null;
    try {
      const j2 = await open(disk, 'none');
      await j2.close();
    } catch (e) {
      err = e as Error;
    }
    if (disk.pendingFaults === 1) continue; // not on recovery's path this time
    if (!err) continue; // fired after recovery's decisions were durable (e.g. a later write): fine if the data is intact, checked below
    failedOpens++;
    assert.is(err.code, 'EIO', `${label}: the open fails with the I/O error, got ${err.name} ${err.code}: ${err.message}`);
    // Nothing acknowledged was cut: open again without the fault.
    disk.clearFaults();
    const j3 = await open(disk, 'none');
    await expectAll(j3, acked, `after an EIO on ${label} during recovery`);
    await j3.close();
    // And it did not cut anything that was there before the failed attempt (nothing but torn bytes).
    for (const [name, bytes] of before) {
      if (!name.endsWith('.wal')) continue;
      const now = disk.dump(DIR).get(name);
      assert.ok(now && now.length <= bytes.length && equalBytes(now, bytes.subarray(0, now.length)), `${label}: ${name} only ever loses a torn tail`);
    }
  }
  assert.ok(failedOpens >= 4, `only ${failedOpens} faults hit recovery`);
});

test('durableOffset never passes what a sync covered; a crash after any fault keeps every acknowledged record', async () => {
  const faults: Array<{ name: string; spec: FaultSpec }> = [
    { name: 'sync EIO (pages kept)', spec: { op: 'sync', code: 'EIO', path: /\.wal$/, pages: 'keep' } },
    { name: 'sync EIO (pages dropped)', spec: { op: 'sync', code: 'EIO', path: /\.wal$/, pages: 'drop' } },
    { name: 'write EIO', spec: { op: 'write', code: 'EIO', path: /\.wal$/ } },
    { name: 'write ENOSPC', spec: { op: 'write', code: 'ENOSPC', path: /\.wal$/ } },
    { name: 'watermark write EIO', spec: { op: 'write', code: 'EIO', path: /durable$/ } },
    { name: 'segment creation: fsyncDir EIO', spec: { op: 'fsyncDir', code: 'EIO' } },
    // The segment's own temporary: a failed write or rename of the sealed-segment ledger's is not fatal (journal-retention.test.ts).
    { name: 'segment creation: rename EIO', spec: { op: 'rename', code: 'EIO', path: /\.wal\.tmp$/ } },
    { name: 'segment creation: header sync EIO', spec: { op: 'sync', code: 'EIO', path: /\.wal\.tmp$/ } },
  ];
  let runs = 0;
  for (const f of faults) {
    for (const durability of ['group', 'each', 'none'] as const) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = rng(seed * 977 + durability.length);
        const disk = newDisk(seed);
        const ctx = `${f.name}, ${durability}, seed ${seed}`;
        const j = await open(disk, durability, { segmentBytes: 1024 + Math.floor(r() * 2048) });
        const acked: Acked[] = [];
        const claimed: Acked[] = [];
        let durableSeen = j.durableOffset;
        let failed: Error | null = null;
        disk.failNext({ ...f.spec, after: Math.floor(r() * 6) });
        const all: Array<Promise<void>> = [];
        for (let i = 0; i < 60 && !failed; i++) {
          const payload = payloadFor(seed * 1000 + i, Math.floor(r() * 700));
          const start = j.nextOffset;
          const item = { offset: start, next: start + 40 + payload.length, payload };
          const p = j.append(payload).then(
            (res) => {
              assert.is(res.offset, item.offset, `${ctx}: offsets in call order`);
              if (durability !== 'none') acked.push(item);
              claimed.push(item);
            },
            (e: Error) => {
              assert.instance(e, JournalFailedError, `${ctx}: ${e.message}`);
              failed ??= e;
            },
          );
          all.push(p);
          if (r() < 0.4) await p;
          if (durability === 'none' && r() < 0.2) await j.sync().catch((e: Error) => void (failed ??= e));
          assert.ok(j.durableOffset >= durableSeen, `${ctx}: durableOffset only moves forward`);
          durableSeen = j.durableOffset;
        }
        await Promise.all(all);
        durableSeen = Math.max(durableSeen, j.durableOffset);
        const fired = disk.pendingFaults === 0;
        if (fired) {
          assert.ok(failed, `${ctx}: the fault fired but nothing rejected`);
          assert.ok(j.stats().failed, `${ctx}: the journal is in the failed state`);
        }
        // Power loss now; nothing unsynced survives wholly, partly or torn: the disk decides.
        const mode = (['none', 'prefix', 'torn', 'all'] as CrashMode[])[seed % 4]!;
        disk.crash({ mode });
        const j2 = await open(disk, durability).catch((e: Error) => {
          throw new Error(`${ctx}: reopen after the fault and a crash (${mode}) failed: ${e.message}`);
        });
        assert.ok(j2.nextOffset >= durableSeen, `${ctx}: reopened end ${j2.nextOffset} is below the durableOffset ${durableSeen} the journal reported`);
        await expectAll(j2, acked, ctx);
        await expectAll(
          j2,
          claimed.filter((c) => c.next <= durableSeen),
          `${ctx} (below durableOffset)`,
        );
        // And it works again.
        const more = payloadFor(999_999, 33);
        const m = await j2.append(more);
        assert.is(m.offset, j2.nextOffset - 73);
        await j2.close();
        runs++;
      }
    }
  }
  console.log(`  ${runs} fault + crash + reopen runs`);
});

test('after an fsync EIO, close and reopen without a crash, then a power loss: acknowledged records survive and open succeeds', async () => {
  // Linux marks the pages of a failed writeback clean: the page cache still shows the bytes, the
  // disk does not have them, and no later fsync writes them. Reopening in a live system (same
  // process here; a restarted process is the same) must not take those cached bytes for durable
  // data: Journal.open publishes its recovered end as the durable watermark and appends after it.
  const problems: string[] = [];
  for (const durability of ['group', 'each', 'none'] as const) {
    for (let seed = 1; seed <= 6; seed++) {
      const disk = newDisk(seed);
      const ctx = `${durability}, seed ${seed}`;
      const j = await open(disk, durability);
      const acked = await appendAll(j, [1, 2, 3]);
      if (durability === 'none') await j.sync();
      disk.failNext({ op: 'sync', code: 'EIO', path: /\.wal$/, pages: 'keep' });
      const lost = j.appendBatch([payloadFor(50, 300), payloadFor(51, 300)]);
      if (durability === 'none') {
        await lost;
        await rejects(j.sync(), isFailed('EIO'));
      } else await rejects(lost, isFailed('EIO'));
      await j.close();
      // Reopen on the same, running system.
      const j2 = await open(disk, durability);
      const later = await appendAll(j2, [60, 61]);
      if (durability === 'none') await j2.sync();
      acked.push(...later);
      await j2.close();
      disk.crash({ mode: 'none' });
      try {
        const j3 = await open(disk, durability);
        try {
          await expectAll(j3, acked, ctx);
        } catch (e) {
          problems.push(`${ctx}: ${(e as Error).message}`);
        } finally {
          await j3.close();
        }
      } catch (e) {
        problems.push(`${ctx}: reopen after the power loss failed: ${(e as Error).message}`);
      }
    }
  }
  assert.is(problems.length, 0, `${problems.length} of 18 runs lost acknowledged data or could not reopen:\n  ${problems.slice(0, 4).join('\n  ')}`);
});

test('a failed directory fsync during cleanup fail-stops the journal (rule 8); reopening keeps every acknowledged record', async () => {
  const disk = newDisk(7);
  const j = await open(disk);
  const acked = await appendAll(
    j,
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.ok(j.stats().segments > 3, `segments: ${j.stats().segments}`);
  disk.failNext({ op: 'fsyncDir', code: 'EIO' });
  const e = await rejects(j.cleanup(acked[100]!.offset), (err) => err instanceof JournalFailedError && err.code === 'EIO');
  await rejects(j.append(payloadFor(999, 10)), (err) => err === e, 'later appends reject with the same fail-stop error');
  await rejects(j.cleanup(acked[150]!.offset), (err) => err === e);
  assert.is(j.stats().failed, 'EIO');
  await j.close();
  const j2 = await open(disk);
  for (const a of acked.filter((x) => x.offset >= j2.firstOffset)) {
    assert.ok(equalBytes((await j2.read(a.offset))!.payload, a.payload), `record at ${a.offset}`);
  }
  await j2.close();
});

test('an open refused for corruption leaves no new watermark file behind', async () => {
  const disk = newDisk(8);
  const j = await open(disk);
  await appendAll(j, [1, 2, 3, 4, 5]);
  await j.close();
  disk.removeFile(`${DIR}/durable`);
  const seg = `${DIR}/00000000000000000000.wal`;
  const bytes = disk.readFile(seg)!.slice();
  bytes[32 + 41]! ^= 0xff; // first record's payload: valid records follow, so corruption
  disk.writeFile(seg, bytes);
  await rejects(open(disk), (err) => err.code === 'CORRUPTION');
  assert.is(disk.exists(`${DIR}/durable`), false);
});

test.run();
