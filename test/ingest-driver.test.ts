// The SQLite driver seam: which driver a Store runs on, and what a user without a usable one sees.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/index.js';
import { tempDir } from './helpers/ingest-fixtures.js';
import { installedByPnpm } from '../src/package-manager.js';

const helpers = join(dirname(fileURLToPath(import.meta.url)), 'helpers');

interface Outcome {
  opened: boolean;
  driver?: string;
  steme?: boolean;
  name?: string;
  code?: string;
  message?: string;
  journal: boolean;
}

function child(env: Record<string, string>, args: string[] = []): Outcome {
  const tmp = tempDir('stemedb-driver-');
  try {
    const r = spawnSync(
      process.execPath,
      ['--require', join(helpers, 'break-sqlite.cjs'), '--import', 'tsx', join(helpers, 'child-store-driver.ts'), tmp.dir, ...args],
      {
        env: { ...process.env, BREAK_SQLITE: '', ...env },
        encoding: 'utf8',
      },
    );
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Outcome;
  } finally {
    tmp.remove();
  }
}

test('with better-sqlite3 usable, the store runs on it', () => {
  const r = child({});
  assert.equal(r, { opened: true, driver: 'better-sqlite3', journal: true });
  const tmp = tempDir();
  try {
    const s = Store.open(tmp.file('a.db'));
    assert.is(s.driver, 'better-sqlite3');
    s.close();
  } finally {
    tmp.remove();
  }
});

test('better-sqlite3 not installed: SQLITE_UNAVAILABLE with the install command; the journal still works', () => {
  const r = child({ BREAK_SQLITE: 'missing' });
  assert.is(r.opened, false);
  assert.ok(r.steme, 'a StoreError, a StemeError');
  assert.is(r.code, 'SQLITE_UNAVAILABLE');
  assert.match(r.message!, /better-sqlite3 is not installed/);
  assert.match(r.message!, /Fix: npm install better-sqlite3/);
  assert.match(r.message!, /node:sqlite/);
  assert.ok(r.journal);
});

test('better-sqlite3 installed but its binary never built (--ignore-scripts, pnpm 10): SQLITE_UNAVAILABLE with the rebuild command', () => {
  const r = child({ BREAK_SQLITE: 'unbuilt' });
  assert.is(r.opened, false);
  assert.ok(r.steme, 'a StoreError, a StemeError');
  assert.is(r.code, 'SQLITE_UNAVAILABLE');
  assert.match(r.message!, /installed but its native binary does not load \(Could not locate the bindings file/);
  assert.match(r.message!, /Fix: npm rebuild better-sqlite3/);
});

test('a driver chosen by name that this runtime lacks: SQLITE_UNAVAILABLE saying why; a wrong name: RangeError', () => {
  const tmp = tempDir();
  try {
    if (typeof (process.versions as Record<string, string | undefined>).bun !== 'string') {
      const err = (() => {
        try {
          Store.open(tmp.file('b.db'), { driver: 'bun:sqlite' });
        } catch (e) {
          return e as Error & { code?: string };
        }
        return undefined;
      })();
      assert.is(err?.code, 'SQLITE_UNAVAILABLE');
      assert.match(err!.message, /bun:sqlite exists only on Bun/);
    }
    assert.throws(
      () => Store.open(tmp.file('c.db'), { driver: 'sqlite3' as 'node:sqlite' }),
      (e: Error) => e instanceof RangeError && /driver must be one of/.test(e.message),
    );
  } finally {
    tmp.remove();
  }
});

test('a pnpm install is told apart (its messages name pnpm commands)', () => {
  assert.ok(installedByPnpm(join('/app', 'node_modules', '.pnpm', 'stemedb@0.1.0', 'node_modules', 'stemedb')));
  assert.not.ok(installedByPnpm(join('/app', 'node_modules', 'stemedb')));
});

test.run();
