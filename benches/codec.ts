/**
 * Payload codec benchmark: the shipped msgpackr codec (src/ingest/codec.ts)
 * against a hand-written fixed layout (below, complete with the same
 * validation and bounds checks, so the comparison is like for like).
 *
 * The rule (docs/ingest-format.md): keep msgpackr unless the hand-written
 * layout is at least 2x faster. Run: `npx tsx benches/codec.ts`
 * (`--quick` for a short run). Each bench encodes or decodes a batch of 1000
 * varied records; the summary prints ns per record and the ratios.
 */
import { bench, do_not_optimize, group, run, summary } from 'mitata';
import { decodeRecord, encodeAssertion, encodeVote } from '../src/ingest/codec.js';
import { DecodeError } from '../src/ingest/errors.js';
import {
  type Assertion,
  type AssertionObject,
  type DecodedRecord,
  type Vote,
  RecordType,
  checkConfidence,
  checkStance,
  checkString,
  checkTime,
  checkWeight,
  validateAssertion,
  validateVote,
} from '../src/ingest/records.js';

// ---------------------------------------------------------------------------
// Hand-written layout (assertions and votes are enough to decide).
//   str   = varint(byteLength) utf8        f64 = 8 bytes LE      time = f64
//   Assertion: str subject, str predicate, u8 objTag + value, 16 epoch, str author,
//              f64 confidence, time createdAt, varint n + n*str evidence
//   Vote:      32 assertion, str voter, i8 stance, f64 weight, time createdAt

const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB);
let pos = 0;
let start = 0;
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function ensure(n: number): void {
  if (pos + n <= slab.length) return;
  const used = pos - start;
  const next = Buffer.allocUnsafe(Math.max(SLAB, (used + n) * 2));
  slab.copy(next, 0, start, pos);
  slab = next;
  start = 0;
  pos = used;
}
function wVarint(n: number): void {
  ensure(5);
  while (n >= 0x80) {
    slab[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  slab[pos++] = n;
}
function wStr(s: string): void {
  const n = s.length;
  ensure(5 + n * 3);
  if (n < 128) {
    // ASCII fast path: one length byte, one byte per char.
    let p = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      slab[p++] = c;
    }
    if (i === n) {
      slab[pos] = n;
      pos = p;
      return;
    }
  }
  const len = Buffer.byteLength(s, 'utf8');
  wVarint(len);
  pos += slab.write(s, pos, len, 'utf8');
}
function wF64(x: number): void {
  ensure(8);
  f64[0] = x;
  if (LE) for (let i = 0; i < 8; i++) slab[pos++] = f64b[i]!;
  else for (let i = 7; i >= 0; i--) slab[pos++] = f64b[i]!;
}
function wBytes(b: Uint8Array): void {
  ensure(b.length);
  slab.set(b, pos);
  pos += b.length;
}
function begin(type: number): void {
  if (slab.length - pos < 4096) {
    slab = Buffer.allocUnsafe(SLAB);
    pos = 0;
  }
  start = pos;
  ensure(8);
  slab[pos] = type;
  slab.fill(0, pos + 1, pos + 8);
  pos += 8;
}
function end(): Uint8Array {
  return slab.subarray(start, pos);
}

export function rawEncodeAssertion(a: Assertion): Uint8Array {
  validateAssertion(a);
  begin(RecordType.Assertion);
  wStr(a.subject);
  wStr(a.predicate);
  const o = a.object;
  if (typeof o === 'string') {
    ensure(1);
    slab[pos++] = 0;
    wStr(o);
  } else if (typeof o === 'number') {
    ensure(1);
    slab[pos++] = 1;
    wF64(o);
  } else if (typeof o === 'boolean') {
    ensure(1);
    slab[pos++] = o ? 3 : 2;
  } else {
    ensure(1);
    slab[pos++] = 4;
    wVarint(o.length);
    wBytes(o);
  }
  wBytes(a.epoch);
  wStr(a.author);
  wF64(a.confidence);
  wF64(a.createdAt);
  const ev = a.evidence ?? [];
  wVarint(ev.length);
  for (const s of ev) wStr(s);
  return end();
}
export function rawEncodeVote(v: Vote): Uint8Array {
  validateVote(v);
  begin(RecordType.Vote);
  wBytes(v.assertion);
  wStr(v.voter);
  ensure(1);
  slab[pos++] = v.stance & 0xff;
  wF64(v.weight);
  wF64(v.createdAt);
  return end();
}

// Decoder state for one payload.
let src: Uint8Array = new Uint8Array(0);
let rp = 0;
function need(n: number): void {
  if (rp + n > src.length) throw new DecodeError('TRUNCATED', 'record body ends inside a value');
}
function rVarint(): number {
  let n = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    need(1);
    const b = src[rp++]!;
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return n;
  }
  throw new DecodeError('MALFORMED', 'varint too long');
}
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;
function rStr(where: string): string {
  const n = rVarint();
  need(n);
  const e = rp + n;
  let i = rp;
  while (i < e && src[i]! < 0x80) i++;
  if (i === e) {
    // pure ASCII: latin1 == utf8, decoded natively without validation.
    const s = latin1Slice.call(src, rp, e);
    rp = e;
    return s;
  }
  try {
    const s = utf8.decode(src.subarray(rp, e));
    rp = e;
    return s;
  } catch {
    throw new DecodeError('BAD_FIELD', `${where} is not valid UTF-8`);
  }
}
function rF64(): number {
  need(8);
  if (LE) for (let i = 0; i < 8; i++) f64b[i] = src[rp++]!;
  else for (let i = 7; i >= 0; i--) f64b[i] = src[rp++]!;
  return f64[0]!;
}
function rBytes(n: number): Uint8Array {
  need(n);
  const b = src.subarray(rp, rp + n);
  rp += n;
  return b;
}

export function rawDecodeRecord(payload: Uint8Array): DecodedRecord {
  try {
    return rawDecode(payload);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new DecodeError('BAD_FIELD', e.message);
    throw e;
  }
}
function rawDecode(payload: Uint8Array): DecodedRecord {
  if (payload.length < 9) throw new DecodeError('TRUNCATED', 'short payload');
  const type = payload[0]!;
  if (type > 2) throw new DecodeError('UNKNOWN_TYPE', `unknown record type ${type}`);
  for (let i = 1; i < 8; i++) if (payload[i] !== 0) throw new DecodeError('BAD_PADDING', 'padding');
  src = payload;
  rp = 8;
  let out: DecodedRecord;
  if (type === RecordType.Assertion) {
    const subject = checkString(rStr('subject'), 'assertion.subject', false);
    const predicate = checkString(rStr('predicate'), 'assertion.predicate', false);
    need(1);
    const tag = src[rp++]!;
    let object: AssertionObject;
    if (tag === 0) object = rStr('object');
    else if (tag === 1) {
      object = rF64();
      if (!Number.isFinite(object)) throw new DecodeError('BAD_FIELD', 'object');
    } else if (tag === 2 || tag === 3) object = tag === 3;
    else if (tag === 4) object = rBytes(rVarint());
    else throw new DecodeError('BAD_FIELD', `bad object tag ${tag}`);
    const epoch = rBytes(16);
    const author = checkString(rStr('author'), 'assertion.author', false);
    const confidence = checkConfidence(rF64(), 'assertion.confidence');
    const createdAt = checkTime(rF64(), 'assertion.createdAt');
    const n = rVarint();
    const a: Assertion = { subject, predicate, object, epoch, author, confidence, createdAt };
    if (n > 0) {
      const ev: string[] = [];
      for (let i = 0; i < n; i++) ev.push(rStr('evidence'));
      a.evidence = ev;
    }
    out = { type: RecordType.Assertion, record: a };
  } else if (type === RecordType.Vote) {
    const assertion = rBytes(32);
    const voter = checkString(rStr('voter'), 'vote.voter', false);
    need(1);
    const s = src[rp++]!;
    const stance = checkStance(s === 0xff ? -1 : s, 'vote.stance');
    const weight = checkWeight(rF64(), 'vote.weight');
    const createdAt = checkTime(rF64(), 'vote.createdAt');
    out = { type: RecordType.Vote, record: { assertion, voter, stance, weight, createdAt } };
  } else {
    throw new DecodeError('UNKNOWN_TYPE', 'epoch not implemented in the bench layout');
  }
  if (rp !== payload.length) throw new DecodeError('OVERSIZED', 'bytes left over after the record body');
  return out;
}

// ---------------------------------------------------------------------------
// Data: 1000 varied, realistic records (short ASCII strings, some unicode,
// numbers, a few with evidence), and 1000 votes.

const N = 1000;
function rnd(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
}
const r = rnd(42);
const epoch = new Uint8Array(16).fill(7);
const assertions: Assertion[] = [];
for (let i = 0; i < N; i++) {
  const kind = i % 4;
  const a: Assertion = {
    subject: `entity:${(r() * 1e6) | 0}`,
    predicate: ['knows', 'locatedIn', 'hasPopulation', 'isA'][kind]!,
    object: kind === 0 ? `entity:${(r() * 1e6) | 0}` : kind === 1 ? 'Zürich, Schweiz' : kind === 2 ? Math.round(r() * 1e7) : r() < 0.5,
    epoch,
    author: `did:key:z6Mk${(r() * 1e9) | 0}`,
    confidence: Math.round(r() * 100) / 100,
    createdAt: 1_732_400_000_000 + i,
  };
  if (i % 5 === 0) a.evidence = [`https://example.org/doc/${i}`];
  assertions.push(a);
}
const votes: Vote[] = [];
for (let i = 0; i < N; i++) {
  votes.push({
    assertion: new Uint8Array(32).fill(i & 0xff),
    voter: `voter-${i % 97}`,
    stance: i % 3 ? 1 : -1,
    weight: 1 + (i % 7) / 2,
    createdAt: 1_732_400_000_000 + i,
  });
}
const mpA = assertions.map((a) => Buffer.from(encodeAssertion(a)));
const rawA = assertions.map((a) => Buffer.from(rawEncodeAssertion(a)));
const mpV = votes.map((v) => Buffer.from(encodeVote(v)));
const rawV = votes.map((v) => Buffer.from(rawEncodeVote(v)));

// Sanity: both codecs round-trip the same records.
for (let i = 0; i < N; i++) {
  const x = JSON.stringify(decodeRecord(mpA[i]!), (_k, v) => (v?.type === 'Buffer' ? v.data.join() : v));
  const y = JSON.stringify(rawDecodeRecord(rawA[i]!), (_k, v) => (v?.type === 'Buffer' ? v.data.join() : v));
  if (x !== y) throw new Error(`codecs disagree on assertion ${i}:\n${x}\n${y}`);
}
const avg = (xs: Uint8Array[]) => (xs.reduce((s, b) => s + b.length, 0) / xs.length).toFixed(1);
console.log(`payload bytes (avg): assertion msgpackr ${avg(mpA)}, hand-written ${avg(rawA)}; vote msgpackr ${avg(mpV)}, hand-written ${avg(rawV)}`);

const names = {
  ea: ['encode assertion x1000: msgpackr', 'encode assertion x1000: hand-written'],
  da: ['decode assertion x1000: msgpackr', 'decode assertion x1000: hand-written'],
  ev: ['encode vote x1000: msgpackr', 'encode vote x1000: hand-written'],
  dv: ['decode vote x1000: msgpackr', 'decode vote x1000: hand-written'],
} as const;

group(() =>
  summary(() => {
    bench(names.ea[0], () => {
      for (let i = 0; i < N; i++) do_not_optimize(encodeAssertion(assertions[i]!));
    });
    bench(names.ea[1], () => {
      for (let i = 0; i < N; i++) do_not_optimize(rawEncodeAssertion(assertions[i]!));
    });
  }),
);
group(() =>
  summary(() => {
    bench(names.da[0], () => {
      for (let i = 0; i < N; i++) do_not_optimize(decodeRecord(mpA[i]!));
    });
    bench(names.da[1], () => {
      for (let i = 0; i < N; i++) do_not_optimize(rawDecodeRecord(rawA[i]!));
    });
  }),
);
group(() =>
  summary(() => {
    bench(names.ev[0], () => {
      for (let i = 0; i < N; i++) do_not_optimize(encodeVote(votes[i]!));
    });
    bench(names.ev[1], () => {
      for (let i = 0; i < N; i++) do_not_optimize(rawEncodeVote(votes[i]!));
    });
  }),
);
group(() =>
  summary(() => {
    bench(names.dv[0], () => {
      for (let i = 0; i < N; i++) do_not_optimize(decodeRecord(mpV[i]!));
    });
    bench(names.dv[1], () => {
      for (let i = 0; i < N; i++) do_not_optimize(rawDecodeRecord(rawV[i]!));
    });
  }),
);

const quick = process.argv.includes('--quick');
const result = await run({ format: quick ? 'quiet' : 'mitata', throw: true });
const byName = new Map<string, { avg: number; p50: number }>();
for (const b of result.benchmarks) for (const r_ of b.runs) if (r_.stats) byName.set(r_.name, { avg: r_.stats.avg, p50: r_.stats.p50 });
console.log('\nper record (ns; p50 and avg of 1000-record batches):');
for (const [key, [mp, raw]] of Object.entries(names)) {
  const a = byName.get(mp)!;
  const b = byName.get(raw)!;
  const f = (x: number) => (x / N).toFixed(0).padStart(5);
  console.log(
    `  ${key}: msgpackr p50 ${f(a.p50)} avg ${f(a.avg)} | hand-written p50 ${f(b.p50)} avg ${f(b.avg)} | hand-written speed-up p50 ${(a.p50 / b.p50).toFixed(2)}x avg ${(a.avg / b.avg).toFixed(2)}x`,
  );
}
console.log('  (ea/da = encode/decode assertion, ev/dv = encode/decode vote; the rule: switch only at >= 2x)');
