// @both-backends — the durable watermark file is synced in the background at most watermarkSyncMs after it changed, and at close: a power loss leaves it at most that far behind the data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { readWatermark, watermarkPath } from '../src/journal/watermark.js';
import { SimDisk } from './helpers/sim-disk.js';
import { payloadFor } from './helpers/tmp.js';

const DIR = '/j';

function newDisk(seed: number): SimDisk {
  const disk = new SimDisk({ seed });
  disk.mkdirp(DIR);
  return disk;
}

/** The watermark value on stable storage: after a power loss that drops every unsynced write. */
function watermarkAfterPowerLoss(disk: SimDisk): number | null {
  disk.crash({ mode: 'none', dirs: 'none' });
  const io = disk.process();
  const fd = io.open(watermarkPath(DIR), 'r');
  try {
    return readWatermark(io, fd);
  } finally {
    io.close(fd);
  }
}

for (const durability of ['group', 'each', 'none'] as const) {
  test(`${durability}: an idle writer's watermark reaches the disk within watermarkSyncMs`, async () => {
    const disk = newDisk(3);
    const j = await Journal.open(DIR, { io: disk.process(), durability, watermarkSyncMs: 30, syncIntervalMs: 0 });
    for (let i = 0; i < 20; i++) await j.append(payloadFor(i, 100));
    if (durability === 'none') await j.sync();
    const end = j.durableOffset;
    assert.ok(end > 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.is(watermarkAfterPowerLoss(disk), end);
  });
}

test('the watermark is synced at close', async () => {
  const disk = newDisk(4);
  const j = await Journal.open(DIR, { io: disk.process(), watermarkSyncMs: 0 });
  for (let i = 0; i < 5; i++) await j.append(payloadFor(i, 100));
  const end = j.durableOffset;
  await j.close();
  assert.is(watermarkAfterPowerLoss(disk), end);
});

test('watermarkSyncMs 0 leaves it to open and close (the window is unbounded meanwhile)', async () => {
  const disk = newDisk(5);
  const j = await Journal.open(DIR, { io: disk.process(), watermarkSyncMs: 0 });
  for (let i = 0; i < 5; i++) await j.append(payloadFor(i, 100));
  await new Promise((r) => setTimeout(r, 100));
  assert.is(watermarkAfterPowerLoss(disk), 0, 'only the value synced at open');
});

test('watermarkSyncMs is checked', async () => {
  const disk = newDisk(6);
  for (const bad of [-1, 1.5, '5']) {
    let err: unknown;
    try {
      await Journal.open(DIR, { io: disk.process(), watermarkSyncMs: bad as number });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof TypeError || err instanceof RangeError, String(bad));
  }
});

test.run();
