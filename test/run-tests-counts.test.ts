// scripts/run-tests.mjs counts from uvu's summary: a skipped test is neither passed nor failed
// (uvu's Total already leaves it out; subtracting it again counted -1 failed for a file with a skip).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/built-package.js';

test('a file with one passing and one skipped test counts 1 passed, 0 failed', () => {
  // Under the checkout (.tmp/ is git-ignored) so the fixture resolves uvu from node_modules.
  const root = join(repoRoot, '.tmp', `run-tests-${process.pid}`);
  mkdirSync(join(root, 'test'), { recursive: true });
  try {
    const body = "import { test } from 'uvu';\ntest('passes', () => {});\ntest.skip('skipped', () => {});\ntest.run();\n";
    // A staged root (TEST_ROOT) runs the .test.js and reads the .test.ts beside it for markers.
    writeFileSync(join(root, 'test', 'fixture.test.js'), body);
    writeFileSync(join(root, 'test', 'fixture.test.ts'), body);
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_ROOT: root };
    delete env.STEMEDB_BACKEND;
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'run-tests.mjs')], { encoding: 'utf8', env, timeout: 60_000 });
    const last = r.stdout.trim().split('\n').pop();
    assert.is(last, '1 passed, 0 failed', r.stdout + r.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
