// The bench report reads true: a target decided on a paired ratio says so, and where the medians
// disagree with the paired ratio (a machine whose load changed between repetitions) it says why,
// with the load; the summary and report.md print the load. (Formatting only: nothing is timed.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pairedVerdictText, type BenchResult } from '../benches/lib/index.js';
import { renderMarkdown, renderSummary } from '../benches/report.js';

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

test.run();
