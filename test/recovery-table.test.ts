// The decision table recovery runs (RECOVERY_TABLE) is the one docs/durability.md shows, cell
// by cell: a change to either without the other fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECOVERY_TABLE, type RecoveryCase } from '../src/journal/recovery/policy.js';
import { RECOVERY_POLICIES } from '../src/journal/recovery/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const COLUMNS: Record<string, RecoveryCase> = {
  'zero tail': 'zero-tail',
  'torn tail': 'torn-tail',
  'corruption: valid frames after it': 'frames-after',
  'corruption: sealed segment': 'sealed',
  'corruption: tail, below the watermark': 'below-watermark',
  'missing data': 'missing-data',
};

function docTable(): Map<string, Map<RecoveryCase, string>> {
  const text = readFileSync(join(root, 'docs', 'durability.md'), 'utf8');
  const lines = text.split('\n');
  const head = lines.findIndex((l) => l.startsWith('| policy | zero tail |'));
  assert.ok(head >= 0, 'the per-case table is in docs/durability.md');
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const columns = cells(lines[head]!)
    .slice(1)
    .map((c) => COLUMNS[c]);
  assert.ok(
    columns.every((c) => c !== undefined),
    `known columns: ${cells(lines[head]!).join(', ')}`,
  );
  const rows = new Map<string, Map<RecoveryCase, string>>();
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const [policy, ...actions] = cells(line);
    rows.set(policy!.replace(/`|'/g, ''), new Map(actions.map((a, i) => [columns[i]!, a.replace(/ /g, '-')])));
  }
  return rows;
}

test('docs/durability.md shows RECOVERY_TABLE, every policy and case', () => {
  const doc = docTable();
  assert.equal([...doc.keys()].sort(), [...RECOVERY_POLICIES].sort());
  for (const policy of RECOVERY_POLICIES) {
    const row = doc.get(policy)!;
    for (const [kind, action] of Object.entries(RECOVERY_TABLE[policy])) {
      assert.is(row.get(kind as RecoveryCase), action, `${policy} × ${kind}`);
    }
    assert.is(row.size, Object.keys(RECOVERY_TABLE[policy]).length);
  }
});

test('a refusal is only ever a refusal: strict refuses every damage, tolerate-tail cuts only a torn tail', () => {
  for (const kind of ['torn-tail', 'frames-after', 'sealed', 'below-watermark', 'missing-data'] as const) {
    assert.is(RECOVERY_TABLE.strict[kind], 'refuse', kind);
    assert.is(RECOVERY_TABLE['tolerate-tail'][kind], kind === 'torn-tail' ? 'cut' : 'refuse', kind);
  }
});

test.run();
