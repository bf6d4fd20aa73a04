// Docs that compile: every ts/js code block in README.md and docs/*.md is typechecked (strict,
// against the package's source types) and, unless marked otherwise, run in a temporary directory.
//
// The convention for a block (an HTML comment right before its fence, invisible when rendered):
//
//   <!-- doc-test
//   const j = await Journal.open('wal');        (optional preamble: TypeScript run before the block,
//   -->                                          for names an earlier section defined)
//
//   <!-- doc-test: typecheck (why it cannot run here) -->
//
//   <!-- doc-test: run (needs sqlite) -->          (runs, unless the runner says it lacks SQLite)
//
// A block without a comment must be self-contained and is run. `typecheck` needs a reason. A block
// typechecks as its own module (imports included), and runs with `stemedb` mapped to src/.
// `needs` names what a run needs beyond the addon (sqlite, children, signals: the needs of
// scripts/test-platforms/needs.mjs); a runner that lacks one (STEMEDB_TEST_LACKS, set by
// test:platforms for its qemu and wine guests, which have no SQLite driver binary) skips the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { repoRoot } from './helpers/built-package.js';
import { tempDir } from './helpers/tmp.js';

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', mjs: 'js' };

interface DocBlock {
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  preamble: string;
  mode: 'run' | 'typecheck';
  reason: string;
  /** What running it needs beyond the addon (`run (needs sqlite)`). */
  needs: string[];
}

/** Parses the fenced ts/js blocks of one markdown text, with their doc-test comments. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    const lang = LANGS[info!.toLowerCase()];
    if (lang) {
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l))
        .join('\n');
      blocks.push({ file, line: i + 2, lang, code, ...directive(file, lines, i) });
    }
    i = end;
  }
  return blocks;
}

/** The `<!-- doc-test ... -->` comment ending right above line `fenceIndex` (blank lines allowed). */
const NEEDS = ['sqlite', 'children', 'signals'];

function directive(file: string, lines: string[], fenceIndex: number): Pick<DocBlock, 'preamble' | 'mode' | 'reason' | 'needs'> {
  let j = fenceIndex - 1;
  while (j >= 0 && lines[j]!.trim() === '') j--;
  if (j < 0 || !lines[j]!.trim().endsWith('-->')) return { preamble: '', mode: 'run', reason: '', needs: [] };
  let start = j;
  while (start >= 0 && !lines[start]!.includes('<!--')) start--;
  const comment = lines.slice(start, j + 1).join('\n');
  const m = /^\s*<!--\s*doc-test\b(?::\s*(\w+)(?:\s*\(([^)]*)\))?)?[ \t]*\n?([\s\S]*?)-->\s*$/.exec(comment);
  if (!m) return { preamble: '', mode: 'run', reason: '', needs: [] }; // another comment: not ours
  const [, mode = 'run', reason = '', preamble = ''] = m;
  const where = `${file}:${start + 1}`;
  if (mode !== 'run' && mode !== 'typecheck') throw new Error(`${where}: unknown doc-test mode "${mode}" (run or typecheck)`);
  if (mode === 'typecheck' && reason.trim() === '') throw new Error(`${where}: doc-test: typecheck needs a reason in parentheses`);
  let needs: string[] = [];
  if (mode === 'run' && reason.trim() !== '') {
    const n = /^needs\s+(.+)$/.exec(reason.trim());
    needs = n ? n[1]!.split(',').map((x) => x.trim()) : [];
    if (!n || needs.some((x) => !NEEDS.includes(x))) throw new Error(`${where}: doc-test: run takes "(needs ${NEEDS.join(' | ')}[, ...])", got "(${reason})"`);
  }
  return { preamble, mode, reason, needs };
}

function docFiles(): string[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('docs', f));
  return ['README.md', ...docs];
}

const blocks = docFiles().flatMap((f) => extractBlocks(f, readFileSync(join(repoRoot, f), 'utf8')));

// Block files live under the checkout (.tmp/, ignored by git) so imports resolve from its node_modules.
const blockDir = join(repoRoot, '.tmp', `doc-blocks-${process.pid}`);
mkdirSync(blockDir, { recursive: true });
const tsconfigPath = join(blockDir, 'tsconfig.json');
writeFileSync(
  tsconfigPath,
  JSON.stringify({
    extends: join(repoRoot, 'tsconfig.json'),
    compilerOptions: { noEmit: true, allowJs: true, checkJs: true, paths: { stemedb: [join(repoRoot, 'src', 'index.ts')] }, rootDir: repoRoot },
    include: ['*.ts', '*.mjs'],
  }),
);

interface BlockFile {
  block: DocBlock;
  path: string;
  /** Lines before the block's first line in the file (the preamble). */
  offset: number;
}

const files: BlockFile[] = blocks.map((block, k) => {
  const name = `${block.file.replace(/[^\w]+/g, '_')}_L${block.line}_${k}.${block.lang === 'ts' ? 'ts' : 'mjs'}`;
  const preamble = block.preamble.trimEnd();
  const head = preamble ? `${preamble}\n` : '';
  const path = join(blockDir, name);
  // `export {}` makes every block a module: its own scope, and top-level await.
  writeFileSync(path, `${head}${block.code}\nexport {};\n`);
  return { block, path, offset: head === '' ? 0 : head.split('\n').length - 1 };
});

test('the docs have code blocks to check (README and docs/api.md at least)', () => {
  assert.ok(
    blocks.some((b) => b.file === 'README.md'),
    'README.md has ts blocks',
  );
  assert.ok(blocks.filter((b) => b.file === join('docs', 'api.md')).length >= 5, 'docs/api.md has ts blocks');
});

test('the doc-test comment convention is parsed strictly', () => {
  const parsed = extractBlocks(
    'x.md',
    '<!-- doc-test\nconst a = 1;\n-->\n```ts\nconsole.log(a);\n```\n\n<!-- doc-test: typecheck (waits forever) -->\n```js\nx\n```\n```sh\nnot checked\n```\n',
  );
  assert.equal(
    parsed.map((b) => [b.line, b.lang, b.mode, b.preamble.trim(), b.reason]),
    [
      [5, 'ts', 'run', 'const a = 1;', ''],
      [10, 'js', 'typecheck', '', 'waits forever'],
    ],
  );
  const needing = extractBlocks('x.md', '<!-- doc-test: run (needs sqlite, children)\nconst a = 1;\n-->\n```ts\na;\n```\n');
  assert.equal(
    needing.map((b) => [b.mode, b.needs, b.preamble.trim()]),
    [['run', ['sqlite', 'children'], 'const a = 1;']],
  );
  assert.throws(() => extractBlocks('x.md', '<!-- doc-test: run (needs a database) -->\n```ts\n1\n```\n'), /run takes "\(needs sqlite/);
  assert.throws(() => extractBlocks('x.md', '<!-- doc-test: run (because) -->\n```ts\n1\n```\n'), /run takes/);
  assert.throws(() => extractBlocks('x.md', '<!-- doc-test: maybe -->\n```ts\n1\n```\n'), /unknown doc-test mode "maybe"/);
  assert.throws(() => extractBlocks('x.md', '<!-- doc-test: typecheck -->\n```ts\n1\n```\n'), /needs a reason/);
});

test('every ts/js block in README.md and docs/*.md typechecks (strict, against the source types)', () => {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  assert.ok(config, 'block tsconfig parses');
  const program = ts.createProgram({ rootNames: files.map((f) => f.path), options: config!.options });
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const f = d.file ? byPath.get(d.file.fileName) : undefined;
    if (!d.file || !f) {
      problems.push(`${d.file ? relative(repoRoot, d.file.fileName) : '(config)'}: ${text}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const where =
      line < f.offset ? `${f.block.file}: the doc-test preamble of the block at line ${f.block.line}` : `${f.block.file}:${f.block.line + line - f.offset}`;
    problems.push(`${where}: ${text}`);
  }
  assert.equal(problems, [], `doc blocks that do not typecheck:\n${problems.join('\n')}`);
});

const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const { dir: runRoot, cleanup } = tempDir('stemedb-docs-');

const lacks = (process.env.STEMEDB_TEST_LACKS ?? '').split(',').filter(Boolean);

for (const f of files) {
  if (f.block.mode !== 'run') continue;
  const lacking = f.block.needs.filter((n) => lacks.includes(n));
  // run-tests.mjs echoes `skipped:` lines, so the skip shows in the run's output.
  if (lacking.length) console.log(`skipped: the run of ${f.block.file}:${f.block.line} (this runner lacks ${lacking.join(', ')})`);
  (lacking.length ? test.skip : test)(
    `runs: ${f.block.file}:${f.block.line}${lacking.length ? ` (skipped: this runner lacks ${lacking.join(', ')})` : ''}`,
    () => {
      const cwd = join(runRoot, String(f.block.line) + '-' + relative(blockDir, f.path).replace(/\W/g, '_'));
      mkdirSync(cwd);
      const r = spawnSync(process.execPath, ['--import', tsxLoader, f.path], {
        cwd,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, TSX_TSCONFIG_PATH: tsconfigPath },
      });
      assert.is(r.status, 0, `${f.block.file}:${f.block.line} exited ${r.status}${r.signal ? ` (${r.signal})` : ''}:\n${r.stdout}${r.stderr}`);
    },
  );
}

test.after(() => {
  cleanup();
  rmSync(blockDir, { recursive: true, force: true });
});
test.run();
