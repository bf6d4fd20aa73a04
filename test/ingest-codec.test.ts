import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DecodeError,
  HEADER_BYTES,
  RecordType,
  type Assertion,
  type DecodedRecord,
  decodeRecord,
  encodeAssertion,
  encodeEpoch,
  encodeRecord,
  encodeVote,
  peekRecordType,
  validateAssertion,
  validateEpoch,
  validateVote,
} from '../src/ingest/index.js';
import { EPOCH_A, EPOCH_B, T0, assertion, epoch, plain, prng, randomBytes, vote } from './helpers/ingest-fixtures.js';

const HASH = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const packr = new Packr({ useRecords: false, moreTypes: false });

/** A payload with a hand-made body (to produce wrongly typed fields). */
function raw(type: number, fields: unknown): Uint8Array {
  const body = packr.pack(fields);
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out[0] = type;
  out.set(body, HEADER_BYTES);
  return out;
}

function expectDecodeError(payload: Uint8Array, code: DecodeError['code'], message?: RegExp): void {
  try {
    decodeRecord(payload);
  } catch (err) {
    assert.instance(err, DecodeError);
    assert.is((err as DecodeError).code, code, `code for ${(err as Error).message}`);
    if (message) assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected DecodeError ${code}`);
}

function roundTrip(r: DecodedRecord, expected: DecodedRecord = r): void {
  const payload = encodeRecord(r);
  assert.is(payload[0], r.type, 'type byte');
  for (let i = 1; i < HEADER_BYTES; i++) assert.is(payload[i], 0, `padding byte ${i}`);
  const back = decodeRecord(payload);
  assert.equal(plain(back), plain(expected));
  assert.is(peekRecordType(payload), r.type);
}

// ---- round trips -------------------------------------------------------------

test('assertion round-trips with every kind of object', () => {
  const objects: Assertion['object'][] = [
    'bob',
    '',
    'Zürich 🚀',
    42,
    -7,
    0,
    0.1,
    -1.5e300,
    Number.MAX_SAFE_INTEGER,
    2 ** 60,
    true,
    false,
    new Uint8Array([0, 1, 255]),
    new Uint8Array(0),
  ];
  for (const object of objects) {
    const a = assertion(1, { object });
    const back = decodeRecord(encodeAssertion(a));
    assert.is(back.type, RecordType.Assertion);
    assert.equal(plain(back.record), plain(a), `object ${String(object)}`);
    const o = (back.record as Assertion).object;
    assert.is(typeof o, typeof object, 'object keeps its JS type');
    if (object instanceof Uint8Array) assert.instance(o, Uint8Array);
  }
});

test('assertion round-trips with evidence, edge confidences and times', () => {
  roundTrip({ type: RecordType.Assertion, record: assertion(2, { evidence: ['https://a.example/x', '', 'ünïcode'] }) });
  roundTrip({ type: RecordType.Assertion, record: assertion(3, { confidence: 0, createdAt: 0 }) });
  roundTrip({ type: RecordType.Assertion, record: assertion(4, { confidence: 1, createdAt: Number.MAX_SAFE_INTEGER }) });
  roundTrip({ type: RecordType.Assertion, record: assertion(5, { subject: 's'.repeat(70_000), author: 'ä'.repeat(300) }) });
});

test('empty evidence is the same record as no evidence', () => {
  const a = assertion(6);
  const withEmpty = encodeAssertion({ ...a, evidence: [] });
  assert.equal([...withEmpty], [...encodeAssertion(a)]);
  assert.is((decodeRecord(withEmpty).record as Assertion).evidence, undefined);
});

test('vote round-trips (+1 and -1, fractional weight)', () => {
  roundTrip({ type: RecordType.Vote, record: vote(HASH, 1) });
  roundTrip({ type: RecordType.Vote, record: vote(HASH, 2, { stance: -1, weight: 0.001 }) });
  roundTrip({ type: RecordType.Vote, record: vote(HASH, 3, { weight: 1e12, voter: 'vötér' }) });
});

test('epoch round-trips with and without parent', () => {
  roundTrip({ type: RecordType.Epoch, record: epoch(EPOCH_A) });
  roundTrip({ type: RecordType.Epoch, record: epoch(EPOCH_B, { parent: EPOCH_A, description: '' }) });
});

// ---- determinism ---------------------------------------------------------------

test('same record, same bytes: key order, Buffer vs Uint8Array, repeated calls', () => {
  const a = assertion(7, { object: new Uint8Array([9, 8, 7]), evidence: ['x'] });
  const reordered: Assertion = {
    evidence: ['x'],
    createdAt: a.createdAt,
    confidence: a.confidence,
    author: a.author,
    epoch: Buffer.from(a.epoch),
    object: Buffer.from([9, 8, 7]),
    predicate: a.predicate,
    subject: a.subject,
  };
  const first = Buffer.from(encodeAssertion(a));
  for (let i = 0; i < 3; i++) assert.ok(first.equals(encodeAssertion(a)));
  assert.ok(first.equals(encodeAssertion(reordered)));
  const extra = { ...a, unrelated: 'ignored' } as Assertion;
  assert.ok(first.equals(encodeAssertion(extra)), 'unknown properties do not change the bytes');

  const v = vote(HASH, 1);
  assert.ok(Buffer.from(encodeVote(v)).equals(encodeVote({ ...v, assertion: Buffer.from(HASH) })));
  const e = epoch(EPOCH_A, { parent: EPOCH_B });
  assert.ok(Buffer.from(encodeEpoch(e)).equals(encodeEpoch({ ...e, id: Buffer.from(EPOCH_A), parent: Buffer.from(EPOCH_B) })));
});

test('re-encoding a decoded record gives the same bytes', () => {
  const rand = prng(1);
  for (let i = 0; i < 300; i++) {
    const a = assertion(i, { object: [`s${i}`, i * 1.5, i % 2 === 0, randomBytes(rand, i % 40)][i % 4]!, confidence: rand() });
    const p = Buffer.from(encodeAssertion(a));
    assert.ok(p.equals(encodeRecord(decodeRecord(p))));
  }
});

test('payloads are pinned: the layout does not drift', () => {
  const p = encodeVote({ assertion: new Uint8Array(32), voter: 'v', stance: -1, weight: 2.5, createdAt: 5 });
  assert.is(Buffer.from(p).toString('hex'), '0100000000000000' + '95' + 'c420' + '00'.repeat(32) + 'a176' + 'ff' + 'cb4004000000000000' + '05');
  const e = encodeEpoch({ id: new Uint8Array(16).fill(1), name: 'n', description: '', startedAt: T0 });
  assert.is(Buffer.from(e).toString('hex'), '0200000000000000' + '95' + 'c410' + '01'.repeat(16) + 'a16e' + 'a0' + 'cb427935b162c00000' + 'c0');
});

// ---- encode validation --------------------------------------------------------

test('encode rejects bad input with TypeError / RangeError naming the field', () => {
  const a = assertion(1);
  const cases: [() => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    [() => encodeAssertion(null as unknown as Assertion), TypeError, /assertion must be an object/],
    [() => encodeAssertion({ ...a, subject: 5 as unknown as string }), TypeError, /assertion\.subject must be a string/],
    [() => encodeAssertion({ ...a, subject: '' }), RangeError, /assertion\.subject must not be empty/],
    [() => encodeAssertion({ ...a, predicate: '' }), RangeError, /assertion\.predicate/],
    [() => encodeAssertion({ ...a, author: '\ud800x' }), RangeError, /assertion\.author contains a lone UTF-16 surrogate/],
    [() => encodeAssertion({ ...a, object: NaN }), RangeError, /assertion\.object must be a finite number/],
    [() => encodeAssertion({ ...a, object: Infinity }), RangeError, /assertion\.object/],
    [() => encodeAssertion({ ...a, object: null as unknown as string }), TypeError, /assertion\.object must be a string, number, boolean or Uint8Array/],
    [() => encodeAssertion({ ...a, object: 10n as unknown as number }), TypeError, /assertion\.object/],
    [() => encodeAssertion({ ...a, object: { x: 1 } as unknown as string }), TypeError, /assertion\.object/],
    [() => encodeAssertion({ ...a, epoch: new Uint8Array(15) }), RangeError, /assertion\.epoch must be 16 bytes, got 15/],
    [() => encodeAssertion({ ...a, epoch: 'abc' as unknown as Uint8Array }), TypeError, /assertion\.epoch must be a Uint8Array/],
    [() => encodeAssertion({ ...a, confidence: 1.01 }), RangeError, /assertion\.confidence must be in \[0, 1\]/],
    [() => encodeAssertion({ ...a, confidence: -0.1 }), RangeError, /confidence/],
    [() => encodeAssertion({ ...a, confidence: NaN }), RangeError, /confidence/],
    [() => encodeAssertion({ ...a, confidence: '1' as unknown as number }), TypeError, /confidence must be a number/],
    [() => encodeAssertion({ ...a, createdAt: 1.5 }), RangeError, /assertion\.createdAt must be a non-negative integer/],
    [() => encodeAssertion({ ...a, createdAt: -1 }), RangeError, /createdAt/],
    [() => encodeAssertion({ ...a, createdAt: 2 ** 53 }), RangeError, /createdAt/],
    [() => encodeAssertion({ ...a, evidence: 'x' as unknown as string[] }), TypeError, /assertion\.evidence must be an array of strings/],
    [() => encodeAssertion({ ...a, evidence: ['ok', 3 as unknown as string] }), TypeError, /assertion\.evidence\[1\] must be a string/],
    [() => encodeVote({ ...vote(HASH, 1), assertion: new Uint8Array(31) }), RangeError, /vote\.assertion must be 32 bytes/],
    [() => encodeVote({ ...vote(HASH, 1), voter: '' }), RangeError, /vote\.voter must not be empty/],
    [() => encodeVote({ ...vote(HASH, 1), stance: 0 as 1 }), RangeError, /vote\.stance must be 1 or -1/],
    [() => encodeVote({ ...vote(HASH, 1), stance: '1' as unknown as 1 }), TypeError, /vote\.stance/],
    [() => encodeVote({ ...vote(HASH, 1), weight: 0 }), RangeError, /vote\.weight must be a finite number > 0/],
    [() => encodeVote({ ...vote(HASH, 1), weight: Infinity }), RangeError, /vote\.weight/],
    [() => encodeVote({ ...vote(HASH, 1), createdAt: NaN }), RangeError, /vote\.createdAt/],
    [() => encodeEpoch({ ...epoch(), id: new Uint8Array(32) }), RangeError, /epoch\.id must be 16 bytes/],
    [() => encodeEpoch({ ...epoch(), name: '' }), RangeError, /epoch\.name must not be empty/],
    [() => encodeEpoch({ ...epoch(), description: undefined as unknown as string }), TypeError, /epoch\.description must be a string/],
    [() => encodeEpoch({ ...epoch(), parent: new Uint8Array(3) }), RangeError, /epoch\.parent must be 16 bytes/],
    [() => encodeEpoch({ ...epoch(), startedAt: -5 }), RangeError, /epoch\.startedAt/],
    [() => encodeRecord({ type: 9 } as unknown as DecodedRecord), RangeError, /unknown record type 9/],
  ];
  for (const [fn, Kind, message] of cases) {
    assert.throws(fn, (err: unknown) => err instanceof Kind && message.test((err as Error).message), String(message));
  }
});

test('validate* are the same checks', () => {
  validateAssertion(assertion(1));
  validateVote(vote(HASH, 1));
  validateEpoch(epoch());
  assert.throws(() => validateVote({}), TypeError);
});

// ---- malformed payloads ---------------------------------------------------------

test('too short for header + body -> TRUNCATED', () => {
  for (let n = 0; n <= HEADER_BYTES; n++) expectDecodeError(new Uint8Array(n), 'TRUNCATED');
});

test('unknown type byte -> UNKNOWN_TYPE', () => {
  const p = Buffer.from(encodeAssertion(assertion(1)));
  for (const type of [3, 4, 0x7f, 0x80, 0xff]) {
    p[0] = type;
    expectDecodeError(p, 'UNKNOWN_TYPE', new RegExp(`unknown record type ${type}`));
  }
});

test('non-zero padding -> BAD_PADDING (every byte, every bit)', () => {
  const good = encodeVote(vote(HASH, 1));
  for (let i = 1; i < HEADER_BYTES; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const p = Buffer.from(good);
      p[i] = 1 << bit;
      expectDecodeError(p, 'BAD_PADDING');
    }
  }
});

test('every strict prefix of a payload -> TRUNCATED', () => {
  for (const good of [encodeAssertion(assertion(1, { evidence: ['e1', 'e2'] })), encodeVote(vote(HASH, 1)), encodeEpoch(epoch(EPOCH_A, { parent: EPOCH_B }))]) {
    for (let n = 0; n < good.length; n++) expectDecodeError(good.subarray(0, n), 'TRUNCATED');
  }
});

test('bytes after the body -> OVERSIZED', () => {
  for (const good of [encodeAssertion(assertion(1)), encodeVote(vote(HASH, 1)), encodeEpoch(epoch())]) {
    for (const extra of [[0], [0xc0], [1, 2, 3], new Array(1000).fill(0x90)]) {
      expectDecodeError(Buffer.concat([good, Buffer.from(extra)]), 'OVERSIZED');
    }
  }
});

test('invalid MessagePack -> MALFORMED', () => {
  expectDecodeError(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xc7, 0x01, 0x05, 0x00]), 'MALFORMED'); // unknown ext type
  const deep = new Uint8Array(HEADER_BYTES + 200_000).fill(0x91);
  deep.fill(0, 0, HEADER_BYTES);
  expectDecodeError(deep, 'MALFORMED', /nests too deeply/);
});

test('fields of the wrong type or count -> BAD_FIELD', () => {
  const a = assertion(1);
  const af = [a.subject, a.predicate, a.object, a.epoch, a.author, a.confidence, a.createdAt, []];
  const with_ = (i: number, v: unknown) => af.map((x, j) => (j === i ? v : x));
  const cases: [number, unknown, RegExp][] = [
    [0, { subject: 'x' }, /record body must be a MessagePack array/],
    [0, 'just a string', /MessagePack array/],
    [0, af.slice(0, 7), /assertion body must have 8 fields, got 7/],
    [0, [...af, 'extra'], /must have 8 fields, got 9/],
    [0, with_(0, 1), /assertion\.subject must be a string/],
    [0, with_(0, ''), /assertion\.subject must not be empty/],
    [0, with_(2, null), /assertion\.object/],
    [0, with_(2, [1]), /assertion\.object/],
    [0, with_(2, { a: 1 }), /assertion\.object/],
    [0, with_(3, 'not bytes'), /assertion\.epoch must be a Uint8Array/],
    [0, with_(3, new Uint8Array(8)), /assertion\.epoch must be 16 bytes/],
    [0, with_(5, 2), /assertion\.confidence must be in \[0, 1\]/],
    [0, with_(6, -1), /assertion\.createdAt/],
    [0, with_(6, 1.25), /assertion\.createdAt/],
    [0, with_(7, 'x'), /assertion\.evidence must be an array/],
    [0, with_(7, [1]), /assertion\.evidence\[0\] must be a string/],
    [1, [HASH, 'v', 0, 1, 5], /vote\.stance must be 1 or -1/],
    [1, [HASH, 'v', 1, -1, 5], /vote\.weight/],
    [1, [HASH.subarray(1), 'v', 1, 1, 5], /vote\.assertion must be 32 bytes/],
    [1, [HASH, 'v', 1, 1], /vote body must have 5 fields/],
    [2, [EPOCH_A, 'n', 'd', T0, 'parent'], /epoch\.parent must be a Uint8Array/],
    [2, [EPOCH_A, 'n', 5, T0, null], /epoch\.description must be a string/],
  ];
  for (const [type, fields, message] of cases) expectDecodeError(raw(type, fields), 'BAD_FIELD', message);
  // nil evidence is tolerated (another writer's "no evidence").
  assert.is((decodeRecord(raw(0, with_(7, null))).record as Assertion).evidence, undefined);
  // A NaN object (float64 NaN) is rejected like on encode.
  expectDecodeError(raw(0, with_(2, NaN)), 'BAD_FIELD', /finite/);
});

test('garbage MessagePack tokens -> MALFORMED, not OVERSIZED (c1 is "never used")', () => {
  for (const body of [[0xc1, 0xc1], [0xc1], [0x92, 0xc1, 0x01], [0x91, 0x81, 0xa1, 0x6b, 0xc1]]) {
    expectDecodeError(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, ...body]), 'MALFORMED', /0xc1/);
  }
});

test('invalid UTF-8 in any text field -> MALFORMED, never replaced', () => {
  const good = Buffer.from(encodeAssertion(assertion(1, { subject: 'abcdef', predicate: 'p'.repeat(100), author: 'x'.repeat(20), evidence: ['evid'] })));
  // A short (fixstr), a str8 > 64 bytes (msgpackr's TextDecoder path) and a 20-byte fixstr, and an evidence item.
  const fields = [good.indexOf('abcdef'), good.indexOf('p'.repeat(100)), good.indexOf('x'.repeat(20)), good.indexOf('evid')];
  const bad: number[][] = [
    [0x80],
    [0xff],
    [0xc3, 0x28],
    [0xc0, 0x80] /* overlong NUL */,
    [0xed, 0xa0, 0x80] /* a surrogate */,
    [0xf4, 0x90, 0x80, 0x80] /* > U+10FFFF */,
  ];
  for (const at of fields) {
    assert.ok(at > 0);
    for (const seq of bad) {
      const q = Buffer.from(good);
      q.set(seq, at);
      expectDecodeError(q, 'MALFORMED', /UTF-8/);
    }
  }
  // A string object and an epoch name too; valid multi-byte text still decodes as written.
  const obj = Buffer.from(encodeAssertion(assertion(1, { object: 'ün' })));
  obj[obj.indexOf('ün') + 1] = 0x41; // 0xc3 then 'A': a cut-off 2-byte sequence
  expectDecodeError(obj, 'MALFORMED', /UTF-8/);
  const e = Buffer.from(encodeEpoch(epoch(EPOCH_A, { name: 'name' })));
  e[e.indexOf('name')] = 0xfe;
  expectDecodeError(e, 'MALFORMED', /UTF-8/);
  assert.is((decodeRecord(encodeAssertion(assertion(1, { subject: 'ü€𝔘' }))).record as Assertion).subject, 'ü€𝔘');
});

test('an integer beyond +-(2^53 - 1) -> MALFORMED, never rounded; 64-bit forms of safe integers decode exactly', () => {
  const a = assertion(1);
  const af = [a.subject, a.predicate, a.object, a.epoch, a.author, a.confidence, a.createdAt, []];
  const with_ = (i: number, v: unknown) => af.map((x, j) => (j === i ? v : x));
  for (const big of [2n ** 53n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n - 1n, -(2n ** 53n), -(2n ** 63n)]) {
    expectDecodeError(raw(0, with_(2, big)), 'MALFORMED', /integer/); // the object: would be stored rounded
    expectDecodeError(raw(0, with_(6, big)), 'MALFORMED', /integer/);
    expectDecodeError(raw(1, [HASH, 'v', 1, 1, big]), 'MALFORMED', /integer/);
  }
  // The same integers as hand-made uint 64 / int 64 (msgpackr itself packs small ones shorter).
  const int64 = (v: bigint) => {
    const b = Buffer.alloc(9);
    b[0] = v < 0n ? 0xd3 : 0xcf;
    if (v < 0n) b.writeBigInt64BE(v, 1);
    else b.writeBigUint64BE(v, 1);
    return b;
  };
  const withObject = (object: Uint8Array) =>
    Buffer.concat([Buffer.alloc(HEADER_BYTES), Buffer.from([0x98]), ...with_(2, null).map((f, i) => (i === 2 ? object : packr.pack(f)))]);
  for (const big of [2n ** 53n, 2n ** 64n - 1n, -(2n ** 53n), -(2n ** 63n)]) expectDecodeError(withObject(int64(big)), 'MALFORMED', /integer/);
  for (const safe of [0n, 5n, 2n ** 32n, 2n ** 53n - 1n, -1n, -(2n ** 53n - 1n)]) {
    assert.is((decodeRecord(withObject(int64(safe))).record as Assertion).object, Number(safe), String(safe));
  }
});

test('a Unicode string stays intact; invalid UTF-8 never throws anything but DecodeError', () => {
  const a = assertion(1, { subject: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', object: '🙂' });
  assert.is((decodeRecord(encodeAssertion(a)).record as Assertion).subject, '𝔘𝔫𝔦𝔠𝔬𝔡𝔢');
  const p = Buffer.from(encodeAssertion(assertion(1, { subject: 'abcdef' })));
  const at = p.indexOf('abcdef');
  for (const bad of [0x80, 0xc3, 0xed, 0xff]) {
    const q = Buffer.from(p);
    q[at] = bad;
    try {
      decodeRecord(q);
    } catch (err) {
      assert.instance(err, DecodeError);
    }
  }
});

// ---- fuzz -------------------------------------------------------------------------

function decodeOnlyThrowsDecodeError(payload: Uint8Array, label: string): 'ok' | DecodeError['code'] {
  let r: DecodedRecord;
  try {
    r = decodeRecord(payload);
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      throw new Error(`${label}: decodeRecord threw ${String(err)} for ${Buffer.from(payload).toString('hex').slice(0, 200)}`);
    }
    return err.code;
  }
  // Whatever decodes is a valid record that encodes again.
  encodeRecord(r);
  return 'ok';
}

test('fuzz: random bytes throw nothing but DecodeError', () => {
  const rand = prng(0xdecade);
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const n = (rand() * 120) | 0;
    const p = randomBytes(rand, n);
    if (rand() < 0.8 && n >= HEADER_BYTES) {
      // Mostly a valid header so the body decoder is exercised.
      p[0] = (rand() * 3) | 0;
      p.fill(0, 1, HEADER_BYTES);
      if (n > HEADER_BYTES && rand() < 0.7) p[HEADER_BYTES] = [0x95, 0x98, 0xdc, 0xdd][(rand() * 4) | 0]!;
    }
    seen.add(decodeOnlyThrowsDecodeError(p, `random #${i}`));
  }
  for (const code of ['TRUNCATED', 'UNKNOWN_TYPE', 'BAD_PADDING', 'BAD_FIELD', 'MALFORMED', 'OVERSIZED']) assert.ok(seen.has(code), `fuzz reached ${code}`);
});

test('fuzz: mutated valid payloads throw nothing but DecodeError', () => {
  const rand = prng(42);
  const goods = [
    encodeAssertion(assertion(1, { evidence: ['a', 'bb'], object: 'ü' })),
    encodeAssertion(assertion(2, { object: new Uint8Array([1, 2, 3]) })),
    encodeAssertion(assertion(3, { object: 0.5 })),
    encodeVote(vote(HASH, 1, { stance: -1 })),
    encodeEpoch(epoch(EPOCH_A, { parent: EPOCH_B })),
  ].map((p) => Buffer.from(p));
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const p = Buffer.from(goods[i % goods.length]!);
    const flips = 1 + ((rand() * 3) | 0);
    for (let f = 0; f < flips; f++) {
      const at = HEADER_BYTES + ((rand() * (p.length - HEADER_BYTES)) | 0);
      p[at] = rand() < 0.5 ? p[at]! ^ (1 << ((rand() * 8) | 0)) : (rand() * 256) | 0;
    }
    const cut = rand() < 0.2 ? p.subarray(0, (rand() * p.length) | 0) : p;
    seen.add(decodeOnlyThrowsDecodeError(cut, `mutation #${i}`));
  }
  assert.ok(seen.has('ok') && seen.has('BAD_FIELD') && seen.has('TRUNCATED'), [...seen].join());
  // The decoder still works after all that (no stuck module state).
  assert.equal(plain(decodeRecord(goods[0]!).record), plain(assertion(1, { evidence: ['a', 'bb'], object: 'ü' })));
});

test.run();
