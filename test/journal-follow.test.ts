// A reader in a separate process follows a rotating writer: every record exactly once, in order, never past the watermark.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../src/index.js';
import { tempDir, payloadFor, equalBytes } from './helpers/tmp.js';
import { spawnTs, lines } from './helpers/child.js';

test('child-process follower sees each record once, in order, below the durable watermark', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 8192 });
    const total = 600;
    const child = spawnTs('child-follower.ts', [dir, String(total)]);
    const got: Array<{ offset: number; next: number; len: number; wm: number }> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const exit = lines(child, (l) => {
      if (l === 'ready') ready();
      const m = /^rec (\d+) (\d+) (\d+) (\d+)$/.exec(l);
      if (m) got.push({ offset: +m[1]!, next: +m[2]!, len: +m[3]!, wm: +m[4]! });
    });
    await isReady;
    const acked: Array<{ offset: number; next: number; len: number }> = [];
    for (let i = 0; i < total; i++) {
      const len = (i * 97) % 1500;
      const batch = i % 5 === 0 ? 1 : 0;
      const r = await j.append(payloadFor(i, len));
      acked.push({ offset: r.offset, next: r.next, len });
      if (batch && i % 50 === 0) await new Promise((res) => setTimeout(res, 5));
    }
    const { code } = await exit;
    assert.is(code, 0);
    assert.ok(j.stats().segments > 20, 'writer rotated many times');
    assert.is(got.length, total);
    got.forEach((g, i) => {
      assert.is(g.offset, acked[i]!.offset, `record ${i} in order`);
      assert.is(g.len, acked[i]!.len);
      assert.ok(g.next <= g.wm, `record ${i} visible only below the watermark`);
    });
    await j.close();
  } finally {
    cleanup();
  }
});

test('in-process follow() yields only durable records; an abort rejects with an AbortError', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { durability: 'none', syncIntervalMs: 0, segmentBytes: 4096 });
    const ac = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const r of j.follow({ signal: ac.signal })) {
        assert.ok(r.next <= j.durableOffset);
        seen.push(r.offset);
        if (seen.length === 30) ac.abort();
      }
    })().then(
      () => assert.unreachable('follow() ended instead of rejecting'),
      (err: { name?: string; code?: string }) => {
        assert.is(err.name, 'AbortError');
        assert.is(err.code, 'ABORT_ERR');
      },
    );
    const rs = [];
    for (let i = 0; i < 30; i++) rs.push(await j.append(payloadFor(i, 200)));
    await new Promise((r) => setTimeout(r, 20));
    assert.is(seen.length, 0, 'nothing durable yet in none mode');
    await j.sync();
    await done;
    assert.equal(
      seen,
      rs.map((r) => r.offset),
    );
    await j.close();
  } finally {
    cleanup();
  }
});

test('a reader re-lists segments after the writer rotates and cleans up', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const j = await Journal.open(dir, { segmentBytes: 2048 });
    const first = await j.append(payloadFor(0, 100));
    const reader = await Journal.openReader(dir);
    const rs = [];
    for (let i = 1; i < 50; i++) rs.push(await j.append(payloadFor(i, 500)));
    const late = rs[rs.length - 1]!;
    assert.ok(equalBytes((await reader.read(late.offset))!.payload, payloadFor(49, 500)));
    assert.ok(await reader.read(first.offset));
    await j.cleanup(late.offset);
    let n = 0;
    for await (const _ of reader.iterate({ from: reader.firstOffset })) n++;
    assert.ok(n >= 1 && n < 50);
    reader.close();
    await j.close();
  } finally {
    cleanup();
  }
});

test.run();
