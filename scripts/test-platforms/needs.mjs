// What a test file needs beyond a Node that loads the addon, read from its source
// and the test helpers it imports (transitively): child processes, POSIX signals,
// SQLite through better-sqlite3, the checkout's scripts/. A runner that lacks one skips
// the file and says why.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const NEEDS = {
  children: /from 'node:child_process'|require\(['"](node:)?child_process['"]\)/,
  signals: /process\.kill\(|\.kill\(['"]SIG|'SIG(TERM|INT|KILL|HUP|STOP|CONT)'/,
  sqlite: /better-sqlite3|\bIngestor\b|\bopenStore\b|\bStore\.open\(|\['ingest',/,
  // Tests of the checkout's own scripts (the test runner, this file): a guest's stage has no scripts/.
  checkout: /'scripts'|\/scripts\//,
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
 * here") is not one. A scan, not a regex, so that `//` or `/*` inside a string or inside the
 * other kind of comment ('postgres://...', "docs/*.md" in a line comment) is read for what it is.
 */
function withoutComments(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n')) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
