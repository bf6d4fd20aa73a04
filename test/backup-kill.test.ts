// Real processes: a writer appends while another process takes a backup. SIGKILL the backup
// at random moments: DEST is absent (only a .partial-<pid> directory, swept by the next run)
// or complete. SIGKILL the writer during a backup: the backup completes and is valid. Every
// record acknowledged before the backup began is in it. BACKUP_KILLS (default 6) sets the kills.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, recover } from '../src/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { spawnTs, lines, waitForLine } from './helpers/child.js';
import { rng } from './helpers/vectors.js';

const kills = Number(process.env.BACKUP_KILLS ?? 6);
const seed = Number(process.env.KILL_SEED ?? Date.now() % 100000);
const SEG = 1 << 20;

type Ack = { offset: number; len: number };

/** A journal of ~`mib` MiB (so a copy takes a while), then a writer child appending to it. */
async function startWriter(wal: string, mib: number, acked: Map<number, Ack>): Promise<{ child: ChildProcess; exit: Promise<unknown>; opened: Promise<void> }> {
  const j = await Journal.open(wal, { segmentBytes: SEG });
  for (let i = 0; i < mib * 16; i += 16) {
    const rs = await j.appendBatch(Array.from({ length: 16 }, (_, k) => payloadFor(-1 - i - k, 4000)));
    rs.forEach((r, k) => acked.set(-1 - i - k, { offset: r.offset, len: 4000 }));
  }
  await j.close();
  const child = spawnTs('child-writer.ts', [wal, 'group', '4', String(SEG)]);
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const exit = lines(child, (l) => {
    if (l.startsWith('open ')) open();
    const m = /^ack (\d+) (\d+) (\d+)$/.exec(l);
    if (m) acked.set(+m[1]!, { offset: +m[2]!, len: +m[3]! });
  });
  return { child, exit, opened };
}

/** DEST is a complete backup: it verifies, opens, and holds every record in `before`. */
async function checkComplete(dest: string, before: Map<number, Ack>, label: string): Promise<void> {
  assert.ok(existsSync(join(dest, 'BACKUP.json')), `${label}: manifest`);
  const report = await recover(dest, { dryRun: true, verifyAll: true });
  assert.is(report.truncatedAt, null, `${label}: nothing torn`);
  const j = await Journal.open(dest, { segmentBytes: SEG });
  try {
    for (const [i, a] of before) {
      const rec = await j.read(a.offset);
      assert.ok(rec && equalBytes(rec.payload, payloadFor(i, a.len)), `${label}: record ${i} at ${a.offset} (seed ${seed})`);
    }
  } finally {
    await j.close();
  }
}

test(`${kills} SIGKILLs of a backup process: DEST absent or complete, never partial (seed ${seed})`, async () => {
  const { dir: root, cleanup } = tempDir();
  const next = rng(seed);
  const acked = new Map<number, Ack>();
  const writer = await startWriter(join(root, 'wal'), 24, acked);
  try {
    await writer.opened;
    let complete = 0;
    let absent = 0;
    for (let k = 0; k < kills; k++) {
      const dest = join(root, `bk${k}`);
      const before = new Map(acked);
      const b = spawnTs('child-backup.ts', [join(root, 'wal'), dest, k % 3 === 2 ? 'link' : 'copy']);
      const done = lines(b, () => {});
      await waitForLine(b, /^copying$/).catch(() => {});
      // The first kill lands at the first copied bytes (surely mid-way); later ones anywhere.
      if (k > 0) await new Promise((r) => setTimeout(r, Math.floor(next() * 80)));
      b.kill('SIGKILL');
      await done;
      if (existsSync(dest)) {
        complete++;
        await checkComplete(dest, before, `kill ${k}`);
      } else absent++;
    }
    // A later backup sweeps the dead runs' partial directories and completes.
    const before = new Map(acked);
    const last = spawnTs('child-backup.ts', [join(root, 'wal'), join(root, 'final'), 'link']);
    const { code } = await lines(last, () => {});
    assert.is(code, 0);
    await checkComplete(join(root, 'final'), before, 'final');
    assert.equal(
      readdirSync(root).filter((n) => n.includes('.partial-') && !n.startsWith('bk')),
      [],
    );
    console.log(`  ${kills} kills: ${absent} left DEST absent, ${complete} had completed`);
    assert.ok(absent > 0, 'at least one kill landed mid-backup');
  } finally {
    writer.child.kill('SIGKILL');
    await writer.exit;
    cleanup();
  }
});

test('SIGKILL of the writer during a backup: the backup completes and is valid', async () => {
  const { dir: root, cleanup } = tempDir();
  const acked = new Map<number, Ack>();
  const writer = await startWriter(join(root, 'wal'), 24, acked);
  try {
    await writer.opened;
    await new Promise((r) => setTimeout(r, 50));
    const before = new Map(acked);
    const b = spawnTs('child-backup.ts', [join(root, 'wal'), join(root, 'bk'), 'copy']);
    let result = '';
    const done = lines(b, (l) => {
      if (l.startsWith('done ')) result = l.slice(5);
    });
    await waitForLine(b, /^copying$/);
    writer.child.kill('SIGKILL');
    await writer.exit;
    const { code } = await done;
    assert.is(code, 0, 'the backup completed');
    assert.ok(result, 'it reported its result');
    await checkComplete(join(root, 'bk'), before, 'writer killed');
    // The source reopens (recovery) and the backup is still whole.
    const j = await Journal.open(join(root, 'wal'), { segmentBytes: SEG });
    assert.ok(j.nextOffset >= (JSON.parse(result) as { endOffset: number }).endOffset);
    await j.close();
  } finally {
    writer.child.kill('SIGKILL');
    cleanup();
  }
});

test.run();
