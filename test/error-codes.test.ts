// Every error code src/ throws is listed in docs/api.md, so a caller can look up each
// code it may see. The scan reads the source: `new XError('CODE'`, `super('CODE'`,
// `code: 'CODE'`, Node's 'ERR_*' codes, and the members of the `...Code` union types
// that the ingest errors take. Errno names (ENOENT, EIO, ...) are the OS's own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorruptionError, SegmentFormatError, StemeError, AbortError } from '../src/errors.js';
import { DecodeError, IngestError, StoreError } from '../src/ingest/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const CODE = "'([A-Z][A-Z0-9_]+)'";
const PATTERNS = [
  new RegExp(`new \\w*Error\\(\\s*${CODE}`, 'g'),
  new RegExp(`super\\(\\s*${CODE}`, 'g'),
  new RegExp(`\\bcode: ${CODE}`, 'g'),
  /'(ERR_[A-Z_]+)'/g,
];

/** code -> first place it is thrown. */
function codesInSrc(): Map<string, string> {
  const found = new Map<string, string>();
  const note = (code: string, where: string) => found.has(code) || found.set(code, where);
  for (const rel of readdirSync(join(root, 'src'), { recursive: true }) as string[]) {
    if (!rel.endsWith('.ts')) continue;
    const text = readFileSync(join(root, 'src', rel), 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      for (const re of PATTERNS) for (const m of line.matchAll(re)) note(m[1]!, `src/${rel}:${i + 1}`);
    });
    for (const m of text.matchAll(/export type (\w+Code) =([^;]+);/g)) {
      for (const c of m[2]!.matchAll(new RegExp(CODE, 'g'))) note(c[1]!, `src/${rel} (${m[1]})`);
    }
  }
  return found;
}

test('the scan finds the codes it must (so it cannot pass by finding nothing)', () => {
  const codes = codesInSrc();
  for (const c of [
    'CORRUPTION',
    'BAD_SEGMENT',
    'ELOCKED',
    'CLOSED',
    'ABORT_ERR',
    'TRUNCATED',
    'CURSOR_GAP',
    'READONLY',
    'ERR_INVALID_ARG_TYPE',
    'ERR_OUT_OF_RANGE',
    'RECORD_TOO_LARGE',
  ]) {
    assert.ok(codes.has(c), `${c} not found by the scan`);
  }
  assert.ok(codes.size >= 40, `only ${codes.size} codes found`);
});

test('every error code thrown in src/ is listed in docs/api.md', () => {
  const doc = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
  const missing = [...codesInSrc()]
    .filter(([code]) => !(code in constants.errno) && !doc.includes(`\`${code}\``) && !doc.includes(`'${code}'`))
    .map(([code, where]) => `${code} (${where})`);
  assert.equal(missing, []);
});

test('one family: every error class is a StemeError with its code; a bad segment is a kind of corruption', () => {
  const bad = new SegmentFormatError('00000000000000000000.wal', 'bad magic (not a stemedb segment)');
  assert.ok(bad instanceof CorruptionError);
  assert.is(bad.code, 'BAD_SEGMENT');
  assert.is(bad.segment, bad.file);
  assert.is(bad.position, 0);
  assert.is(bad.reason, 'bad segment header');
  assert.is(bad.message, '00000000000000000000.wal is not a readable stemedb segment: bad magic (not a stemedb segment)');
  assert.is(bad.name, 'SegmentFormatError');
  assert.is(new CorruptionError('s', 8, 'crc32c mismatch').code, 'CORRUPTION');
  for (const e of [new AbortError(), new DecodeError('TRUNCATED', 'x'), new IngestError('BUSY', 'x'), new StoreError('READONLY', 'x')]) {
    assert.ok(e instanceof StemeError, e.name);
    assert.type(e.code, 'string');
  }
  assert.is(new AbortError().name, 'AbortError');
});

test.run();
