// The bench report reads true: a target decided on a paired ratio says so, and where the medians
// disagree with the paired ratio (a machine whose load changed between repetitions) it says why,
// with the load; the summary and report.md print the load. (Formatting only: nothing is timed.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { floorGroup, pairedVerdictText, type BenchResult, type GroupSpec, type Table } from '../benches/lib/index.js';
import { renderMarkdown, renderSummary, renderSvg } from '../benches/report.js';

const load = { start: 1.5, now: 7.25, cores: 2 };

test('agreeing medians and paired ratio: the text names the one the verdict uses, no more', () => {
  const t = pairedVerdictText({ a: 368, b: 399, paired: 0.924, unit: 'k records/s', op: '>=', limit: 0.85, load });
  assert.is(t, '368 vs 399 k records/s (medians, ratio 0.922); paired ratio 0.924: the verdict uses the paired ratio');
});

test('medians that would fail while the paired ratio passes: the text explains, with the load', () => {
  const t = pairedVerdictText({ a: 584, b: 3703, paired: 0.92, unit: 'records/s', op: '>=', limit: 0.9, load });
  assert.match(t, /^584 vs 3703 records\/s \(medians, ratio 0\.158\); paired ratio 0\.92: the verdict uses the paired ratio\. The two disagree on the verdict/);
  assert.match(t, /load average 1\.50 at the start, 7\.25 now, on 2 cores/);
  assert.match(t, /seconds apart under the same load/);
});

test('same verdict but far apart (more than 1.25x) is explained too', () => {
  const t = pairedVerdictText({ a: 1500, b: 1000, paired: 1.02, unit: 'records/s', op: '>=', limit: 0.9, load });
  assert.match(t, /The two disagree by 1\.5x, as they do when the machine's load changes between repetitions/);
});

function result(loadAvg: [number, number, number]): BenchResult {
  return {
    name: 'durable',
    quick: true,
    durationMs: 1000,
    tables: [],
    notes: [],
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      cpuFeatures: [],
      node: 'v20',
      v8: '11',
      platform: 'linux',
      arch: 'x64',
      kernel: '6',
      memoryGiB: 4,
      tmpDir: '/tmp',
      disk: null,
      loadAvg,
      date: '2026-12-04T00:00:00Z',
    },
    backend: { backend: 'native', reason: 'native addon loaded', crc32c: 'x', blake3: 'y' },
    source: { commit: null, dirty: null, addon: null },
    targets: [
      {
        what: "'each' at concurrency 1 vs raw per-record sync",
        target: '>= 0.9',
        measured: pairedVerdictText({ a: 584, b: 3703, paired: 0.92, unit: 'records/s', op: '>=', limit: 0.9, load }),
        pass: true,
        value: 0.92,
        limit: 0.9,
      },
    ],
  };
}

test('the summary starts with the load at the start and at the end, then each verdict with its explanation', () => {
  const lines = renderSummary([result([1.5, 1.2, 0.9])], [7.25, 4, 2]);
  assert.is(lines[0], '# Summary');
  assert.match(lines[1]!, /^load average \(1, 5, 15 min\) 1\.50 1\.20 0\.90 at the start, 7\.25 4\.00 2\.00 at the end, on 2 cores/);
  assert.match(lines[2]!, /^PASS  durable: .*584 vs 3703 .*the verdict uses the paired ratio\. The two disagree on the verdict/);
});

test('report.md prints the load under the targets and says verdicts use paired ratios', () => {
  const md = renderMarkdown([result([1.5, 1.2, 0.9])], 'npm run bench -- --quick');
  assert.match(md, /load average \(1, 5, 15 min\) 1\.50 1\.20 0\.90 at the start/);
  assert.match(md, /decided on the paired ratio/);
});

// The chart's groups come from the cells the tables print: stemedb, the fastest peer, the floor.
const durable: Table = {
  title: 'durable',
  columns: ['method', 'concurrency', 'records/s', '÷ floor'],
  rows: [
    ["stemedb 'group'", 64, 296_000, 0.55],
    ['lmdb', 64, 123_000, 0.23],
    ['classic-level', 64, 13_700, 0.025],
    ['classic-level', 1, 5_200, 0.6],
    ['raw over zeros (floor)', 64, 566_000, 1],
  ],
};
const spec: GroupSpec = {
  title: "'group' at concurrency 64",
  unit: 'records/s',
  name: 'method',
  value: 'records/s',
  toFloor: '÷ floor',
  ours: { method: "stemedb 'group'", concurrency: 64 },
  peers: [
    { method: 'classic-level', concurrency: 64 },
    { method: 'lmdb', concurrency: 64 },
  ],
  floor: { method: 'raw over zeros (floor)', concurrency: 64 },
};

test('a group takes stemedb, the fastest peer and the floor from the table, with their paired ratios', () => {
  const g = floorGroup(durable, spec)!;
  assert.equal(g.ours, { name: "stemedb 'group'", value: 296_000, toFloor: 0.55 });
  assert.equal(g.peer, { name: 'lmdb', value: 123_000, toFloor: 0.23 });
  assert.equal(g.floor, { name: 'raw over zeros (floor)', value: 566_000, toFloor: 1 });
  assert.is(g.noPeer, undefined);
});

test('a group without stemedb is left out; without a floor or a peer it says why; a wrong column throws', () => {
  assert.is(floorGroup(durable, { ...spec, ours: { method: "stemedb 'each'", concurrency: 64 } }), null);
  const g = floorGroup(durable, { ...spec, peers: [], floor: undefined, noPeer: 'no peer does this' })!;
  assert.is(g.floor, null);
  assert.is(g.noFloor, 'no floor measured');
  assert.is(g.noPeer, 'no peer does this');
  assert.throws(() => floorGroup(durable, { ...spec, value: 'GB/s' }), /has no column "GB\/s"/);
});

test('report.svg: a legend, and per group three rows (bars, or why there is none); report.md lists the groups', () => {
  const r = { ...result([1, 1, 1]), groups: [floorGroup(durable, spec)!, floorGroup(durable, { ...spec, title: 'no floor here', floor: undefined })!] };
  const svg = renderSvg([r]);
  for (const text of ['stemedb', 'best peer', 'floor: the same work']) assert.ok(svg.includes(text), text);
  assert.is(svg.match(/<rect x="460"/g)?.length, 5); // 3 bars, then 2: the second group has no floor
  assert.match(svg, /296k · 0\.55× floor/);
  assert.match(svg, /no floor measured/);
  const md = renderMarkdown([r], 'npm run bench');
  assert.match(
    md,
    /\| durable \| 'group' at concurrency 64 \| records\/s \| stemedb 'group': 296k \| lmdb: 123k \| raw over zeros \(floor\): 566k \| 0\.55 \| 0\.23 \|/,
  );
});

test.run();
