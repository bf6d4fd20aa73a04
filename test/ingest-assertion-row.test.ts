// The ingestor's fast path for assertion payloads (src/ingest/assertion-row.ts) must give exactly
// the row the general path (decodeRecord + the store's column mapping) gives, or decline. Checked
// on encoded assertions of every field shape, on hand-made bodies (other integer widths, float32,
// str 8/16/32, nil evidence) and on random mutations of valid payloads.
import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Assertion, DecodeError, HEADER_BYTES, ObjectKind, RecordType, decodeRecord, encodeAssertion } from '../src/ingest/index.js';
import { ROW_VALUES, assertionRow } from '../src/ingest/assertion-row.js';
import { EPOCH_A, T0, assertion, prng, randomBytes } from './helpers/ingest-fixtures.js';

/** Columns 1..9 of the assertions row as the general path builds them, or null when it refuses the payload. */
function generalRow(payload: Uint8Array): unknown[] | null {
  let d;
  try {
    d = decodeRecord(payload);
  } catch (err) {
    if (err instanceof DecodeError) return null;
    throw err;
  }
  if (d.type !== RecordType.Assertion) return null;
  const a = d.record;
  const o = a.object;
  const [value, kind] =
    typeof o === 'string'
      ? [o, ObjectKind.String]
      : typeof o === 'number'
        ? [o, ObjectKind.Number]
        : typeof o === 'boolean'
          ? [o ? 1 : 0, ObjectKind.Boolean]
          : [o, ObjectKind.Bytes];
  return [a.subject, a.predicate, value, kind, a.epoch, a.author, a.confidence, a.createdAt, a.evidence === undefined ? null : JSON.stringify(a.evidence)];
}

const show = (v: unknown): unknown => (v instanceof Uint8Array ? `bytes ${Buffer.from(v).toString('hex')}` : Object.is(v, -0) ? '-0' : v);

/** Returns whether the fast path took the payload; fails if it took it and differs from the general path. */
function same(payload: Uint8Array, what: string): boolean {
  const out = new Array<unknown>(ROW_VALUES).fill(null);
  const fast = assertionRow(payload, out);
  if (!fast) return false;
  const general = generalRow(payload);
  assert.ok(general !== null, `${what}: the fast path took a payload the general path refuses`);
  assert.equal(out.slice(1, 10).map(show), general!.map(show), what);
  return true;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
function raw(fields: unknown[]): Uint8Array {
  const body = packr.pack(fields);
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out.set(body, HEADER_BYTES);
  return out;
}
/** A body written byte by byte: [0x98, ...fields]. */
function bytes(...fields: number[][]): Uint8Array {
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0x98, ...fields.flat()]);
}
const str = (s: string): number[] => [0xa0 | s.length, ...Buffer.from(s)];
const EPOCH = [0xc4, 16, ...EPOCH_A];

test('encoded assertions of every shape: the fast path takes the ASCII ones and matches', () => {
  const rand = prng(7);
  let taken = 0;
  const objects: Assertion['object'][] = ['', 'x', 'é', 0, -1, 127, 128, -33, 65535, 2 ** 31, -(2 ** 31), 2 ** 40, -(2 ** 40), 0.5, -0, 1e300, true, false];
  objects.push(Uint8Array.of(), Uint8Array.of(1, 2, 3), 'a'.repeat(40), 'b'.repeat(300), 'c'.repeat(70_000));
  for (let i = 0; i < objects.length; i++) {
    for (const evidence of [undefined, [], ['https://x'], ['', 'two', 'ü'], Array.from({ length: 16 }, (_, k) => `e${k}`)]) {
      for (const createdAt of [0, 1, T0, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
        for (const confidence of [0, 1, 0.25, Math.floor(rand() * 1001) / 1000]) {
          const a = assertion(i, { object: objects[i]!, createdAt, confidence, ...(evidence ? { evidence } : {}) });
          if (same(encodeAssertion(a), `object ${String(objects[i]).slice(0, 20)} evidence ${JSON.stringify(evidence)?.slice(0, 30)}`)) taken++;
        }
      }
    }
  }
  assert.ok(taken > objects.length * 40, `fast path took ${taken}`);
  assert.not.ok(same(encodeAssertion(assertion(1, { subject: 'Ünïcode' })), 'non-ASCII subject'));
  assert.not.ok(same(encodeAssertion(assertion(1, { author: 'x'.repeat(70_000) })), 'str 32 author'));
});

test('hand-made bodies: other encodings of the same values match, bad values decline', () => {
  const ok = [
    bytes(str('s'), str('p'), [0xd0, 0x85], EPOCH, str('a'), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0], [0xcf, 0, 0, 1, 0x93, 0xc4, 0x5c, 0x2a, 0], [0xc0]),
    bytes([0xd9, 1, 0x73], [0xda, 0, 1, 0x70], [0xd1, 0xff, 0x00], EPOCH, str('a'), [1], [0xd3, 0, 0, 0, 0, 0, 0, 0, 5], [0x90]),
    bytes(str('s'), str('p'), [0xd2, 0x80, 0, 0, 0], EPOCH, str('a'), [0], [0xce, 0xff, 0xff, 0xff, 0xff], [0x91, 0xd9, 0]),
    bytes(str('s'), str('p'), [0xcd, 0xff, 0xff], EPOCH, str('a'), [0xcc, 1], [0xcb, 0x42, 0x70, 0, 0, 0, 0, 0, 0], [0xc0]),
  ];
  for (const [i, p] of ok.entries()) assert.ok(same(p, `body ${i}`), `body ${i} should take the fast path`);
  const declined = [
    bytes(str('s'), str('p'), [0xca, 0x3f, 0, 0, 0], EPOCH, str('a'), [0], [0], [0xc0]), // float 32 object
    bytes(str(''), str('p'), [1], EPOCH, str('a'), [0], [0], [0xc0]), // empty subject
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [2], [0], [0xc0]), // confidence 2
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [0], [0xff], [0xc0]), // createdAt -1
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [0], [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0], [0xc0]), // createdAt 0.5
    bytes(str('s'), str('p'), [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], EPOCH, str('a'), [0], [0], [0xc0]), // object Infinity
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [0], [0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0], [0xc0]), // createdAt 2^53
    bytes(str('s'), str('p'), [1], [0xc4, 15, ...EPOCH_A.subarray(1)], str('a'), [0], [0], [0xc0]), // 15-byte epoch
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [0], [0], [0xc0], [0xc0]), // trailing byte
    bytes(str('s'), str('p'), [1], EPOCH, str('a'), [0], [0], [0x91, 1]), // evidence of a number
    raw(['s', 'p', 1, EPOCH_A, 'a', 0, 0]), // 7 fields
  ];
  for (const [i, p] of declined.entries()) assert.not.ok(same(p, `declined ${i}`), `body ${i} should decline`);
  const padded = encodeAssertion(assertion(1));
  padded[3] = 1;
  assert.not.ok(same(padded, 'padding'));
});

test('random mutations of valid payloads: whatever the fast path takes, the general path gives the same row', () => {
  const rand = prng(11);
  let taken = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = assertion(i, {
      object: [`v${i}`, i, rand() < 0.5, randomBytes(rand, 3)][i & 3]!,
      confidence: Math.floor(rand() * 101) / 100,
      ...(i % 3 === 0 ? { evidence: [`ev${i}`] } : {}),
    });
    const p = Uint8Array.from(encodeAssertion(a));
    const flips = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < flips; k++) p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256);
    const cut = rand() < 0.1 ? p.subarray(0, Math.floor(rand() * p.length)) : p;
    if (same(cut, `mutation ${i}`)) taken++;
  }
  assert.ok(taken > 1000, `fast path took ${taken} mutated payloads`);
});

test.run();
