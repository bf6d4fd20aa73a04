// scripts/test-platforms/needs.mjs reads what a test file needs (SQLite, children, signals) from
// its code and the helpers it imports, not from its comments: a comment naming better-sqlite3
// once made a guest plan no file at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script without types
import { needsOf } from '../scripts/test-platforms/needs.mjs';
import { repoRoot } from './helpers/built-package.js';

test('needs come from code and imported helpers, not from comments', () => {
  const root = join(repoRoot, '.tmp', `needs-${process.pid}`);
  mkdirSync(join(root, 'test', 'helpers'), { recursive: true });
  try {
    const files: Record<string, string> = {
      'commented.test.ts':
        "// This file never loads better-sqlite3 or an Ingestor.\n/* nor process.kill('SIGKILL') */\nconst url = 'postgres://host/db'; // Store.open( in a comment\n",
      'sqlite.test.ts': "import Database from 'better-sqlite3';\n",
      // A `/*` in a line comment opens no block comment (docs.test.ts once lost its import so).
      'glob-in-comment.test.ts': "// every block in docs/*.md\nimport { spawnSync } from 'node:child_process';\n// */\n",
      'via-helper.test.ts': "import { spawnIt } from './helpers/spawn.js';\n",
      'helpers/spawn.ts': "import { spawn } from 'node:child_process';\nexport const spawnIt = () => spawn('true', []).kill('SIGTERM');\n",
    };
    for (const [name, body] of Object.entries(files)) writeFileSync(join(root, 'test', name), body);
    const needs = (file: string): string[] => [...(needsOf(root, file) as Set<string>)].sort();
    assert.equal(needs('commented.test.ts'), []);
    assert.equal(needs('sqlite.test.ts'), ['sqlite']);
    assert.equal(needs('glob-in-comment.test.ts'), ['children']);
    // This file tests a script of the checkout, which guests' stages do not hold.
    assert.ok((needsOf(repoRoot, 'platform-needs.test.ts') as Set<string>).has('checkout'));
    assert.equal(needs('via-helper.test.ts'), ['children', 'signals']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
