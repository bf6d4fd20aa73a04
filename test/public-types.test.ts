// The emitted .d.ts is the documented API: Journal and JournalReader do not expose their internals
// (group commit, segment manager, record reader, lock handle, file descriptors, waiters, io), and a
// strict consumer can `await using` all three resources against the built package's types.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { builtPackage, repoRoot } from './helpers/built-package.js';

const pkg = builtPackage();
const INTERNALS = ['commit', 'segments', 'reader', 'lockHandle', 'wmFd', 'durableWaiters', 'io', 'options'];

/** Member names (public, private and #private alike) of each class declared in a .d.ts file. */
function classMembers(file: string): Map<string, string[]> {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, string[]>();
  src.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || !node.name) return;
    out.set(
      node.name.text,
      node.members.map((m) => (m.name ? m.name.getText(src) : ts.SyntaxKind[m.kind])),
    );
  });
  return out;
}

test('Journal and JournalReader declarations name no internals', () => {
  const journal = classMembers(join(pkg.root, 'dist', 'journal', 'journal.d.ts')).get('Journal');
  const reader = classMembers(join(pkg.root, 'dist', 'journal', 'read', 'journal-reader.d.ts')).get('JournalReader');
  assert.ok(journal && reader, 'both classes are declared');
  for (const [name, members] of [
    ['Journal', journal!],
    ['JournalReader', reader!],
  ] as const) {
    // Not vacuous: the public API is there.
    for (const m of ['dir', 'iterate', 'follow', 'close', 'read']) assert.ok(members.includes(m), `${name}.${m} is declared`);
    assert.ok(
      members.some((m) => /asyncDispose/.test(m)),
      `${name} declares [Symbol.asyncDispose]`,
    );
    const leaked = members.filter((m) => INTERNALS.includes(m));
    assert.equal(leaked, [], `${name} exposes ${leaked.join(', ')}`);
  }
});

test('a strict consumer typechecks await using on the built types, and cannot reach the internals', () => {
  const consumer = join(pkg.root, '..', 'consumer');
  mkdirSync(join(consumer, 'node_modules'), { recursive: true });
  symlinkSync(pkg.root, join(consumer, 'node_modules', 'stemedb'), 'dir');
  symlinkSync(join(repoRoot, 'node_modules', '@types'), join(consumer, 'node_modules', '@types'), 'dir');
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
  const main = join(consumer, 'main.ts');
  writeFileSync(
    main,
    `
import { Journal, Store, type JournalReader } from 'stemedb';
export async function demo(dir: string): Promise<number> {
  await using j = await Journal.open(dir, { durability: 'group' });
  await using r: JournalReader = await Journal.openReader(dir);
  await using s = Store.open(':memory:');
  const closing: Promise<void> = r.close();
  await closing;
  // @ts-expect-error internals are not part of the public type
  j.commit;
  // @ts-expect-error internals are not part of the public type
  r.segments;
  // @ts-expect-error an unknown option key is a type error before it is a TypeError
  await Journal.open(dir, { durabilty: 'each' });
  for await (const rec of j.iterate({ from: 0, signal: AbortSignal.timeout(10) })) return rec.offset + (s.open ? 1 : 0);
  return 0;
}
`,
  );
  const program = ts.createProgram([main], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    skipLibCheck: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.equal(problems, []);
});

test.after(() => pkg.cleanup());
test.run();
