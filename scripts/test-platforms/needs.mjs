// What a test file needs beyond a Node that loads the addon, read from its source
// and the test helpers it imports (transitively): child processes, POSIX signals,
// SQLite through better-sqlite3. A runner that lacks one skips the file and says why.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const NEEDS = {
  children: /from 'node:child_process'|require\(['"](node:)?child_process['"]\)/,
  signals: /process\.kill\(|\.kill\(['"]SIG|'SIG(TERM|INT|KILL|HUP|STOP|CONT)'/,
  sqlite: /better-sqlite3|\bIngestor\b|\bopenStore\b|\bStore\.open\(|\['ingest',/,
};

/** The set of needs of test/<file>, following relative imports inside test/. */
export function needsOf(root, file) {
  const testDir = join(root, 'test');
  const seen = new Set();
  const found = new Set();
  const visit = (path) => {
    if (seen.has(path) || !existsSync(path)) return;
    seen.add(path);
    const text = withoutComments(readFileSync(path, 'utf8'));
    for (const [need, re] of Object.entries(NEEDS)) if (re.test(text)) found.add(need);
    for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = resolve(dirname(path), m[1].replace(/\.js$/, '.ts'));
      if (target.startsWith(testDir)) visit(target);
    }
  };
  visit(join(testDir, file));
  return found;
}

/**
 * The source without its comments: a comment that names a need ("better-sqlite3 is not loaded
 * here") is not one. Line comments only where `//` starts the line or follows a space, so URLs
 * in strings ('postgres://...') stay.
 */
function withoutComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}
