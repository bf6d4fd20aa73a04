/**
 * The CPU half of a PgStore batch, done before its transaction: decoding the
 * payloads, sorting each table's rows by key and building the array literals
 * its INSERT ... unnest statements take. The Ingestor prepares batch N+1 while
 * batch N's transaction is in flight (IngestSink.prepareBatch), so the server
 * does not wait for this thread inside a transaction, nor this thread for the
 * server's commit.
 *
 * Preparing writes nothing and reads nothing but the records: it cannot know
 * the stored cursor. It assumes every record is new (the cursor is at or below
 * the first record), which write.ts checks inside the transaction; when that
 * does not hold (records skipped, out of order) the transaction prepares the
 * records still to apply again, as it would have without a prepared batch.
 */
import { ROW_HASH, ROW_OFFSET, ROW_VALUES } from '../assertion-row.js';
import { fastAssertionRow } from '../read-thread/scanned.js';
import { decodeRecord } from '../codec.js';
import { DecodeError, IngestError } from '../errors.js';
import { type Epoch, type Vote, HASH_BYTES, RecordType } from '../records.js';
import type { PreparedBatch } from '../sink.js';
import type { JournalRecord } from '../source.js';
import { type DeadLetterCode, ObjectKind } from '../store-write.js';

/** dead_letters.code in a PgStore: the SQLite codes, plus NUL_IN_TEXT. */
export type PgDeadLetterCode = DeadLetterCode | 'NUL_IN_TEXT';

export interface Dead {
  rec: JournalRecord;
  code: PgDeadLetterCode;
  reason: string;
}

/** Rows per INSERT statement: a batch's statements are queued at once (see write.ts insertRows). */
export const ROWS_PER_STATEMENT = 8192;

/** One table's rows, key-sorted, as array literals: `chunks[k][c]` is column c of statement k. */
export interface Literals {
  readonly count: number;
  readonly chunks: string[][];
}

/** A batch prepared by PgStore.prepareBatch, applied by PgStore.applyPrepared. */
export class PgBatch implements PreparedBatch {
  constructor(
    readonly records: readonly JournalRecord[],
    /** Every record starts at or after the previous one's `next` (the transaction's order check passes). */
    readonly ordered: boolean,
    readonly assertions: Literals,
    readonly votes: Literals,
    /** Sorted by id, then offset; few, so their rows are built in the transaction (conflicts are checked there). */
    readonly epochs: ReadonlyArray<{ e: Epoch; rec: JournalRecord }>,
    /** Undecodable payloads and text holding U+0000, in offset order (EPOCH_CONFLICT is found in the transaction). */
    readonly dead: readonly Dead[],
  ) {}
}

/** Checks the source's contract; throws BAD_SOURCE like the SQLite writer. */
export function checkRecords(records: readonly JournalRecord[]): void {
  for (const { offset, next, hash, payload } of records) {
    if (!(next > offset) || !(hash instanceof Uint8Array) || hash.length !== HASH_BYTES || !(payload instanceof Uint8Array)) {
      throw new IngestError('BAD_SOURCE', `journal record at offset ${offset} is malformed (next ${next}, hash ${hash?.length} bytes)`);
    }
  }
}

const hasNul = (s: unknown) => typeof s === 'string' && s.includes('\0');
const NUL_REASON = 'a text field holds U+0000, which PostgreSQL text cannot store';

/** The assertions table's columns, in the order the literals are built (write.ts ASSERTION_COLS). */
const A_HASH = 0;
const A_SUBJECT = 1;
const A_PREDICATE = 2;
const A_KIND = 3;
const A_TEXT = 4;
const A_NUMBER = 5;
const A_BYTES = 6;
const A_EPOCH = 7;
const A_AUTHOR = 8;
const A_CONFIDENCE = 9;
const A_CREATED = 10;
const A_EVIDENCE = 11;
const A_OFFSET = 12;
const A_COLUMNS = 13;

/**
 * Decodes and encodes `records` (checked with checkRecords first). Assertions in the common
 * shape take the one-pass decoder (assertion-row.ts); every other payload takes decodeRecord(),
 * which decides and words errors as before.
 */
export function prepareRecords(records: readonly JournalRecord[]): PgBatch {
  const steps = prepareSteps(records);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * prepareRecords in slices of a few ms, the event loop turning between them: the Ingestor
 * prepares a batch while the batch before it is in its transaction, whose answers (BEGIN, the
 * lock, the cursor: each a round trip before the INSERT can go) are read only between slices.
 */
export async function prepareRecordsSliced(records: readonly JournalRecord[]): Promise<PgBatch> {
  const steps = prepareSteps(records);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Records decoded per slice. */
const SLICE = 1024;

/** The work of prepareRecords, yielding between slices. */
function* prepareSteps(records: readonly JournalRecord[]): Generator<void, PgBatch> {
  checkRecords(records);
  // Assertion rows, one column array each (no object per row).
  const cols: unknown[][] = Array.from({ length: A_COLUMNS }, () => []);
  const keys: Uint8Array[] = [];
  const votes: Array<{ v: Vote; rec: JournalRecord }> = [];
  const epochs: Array<{ e: Epoch; rec: JournalRecord }> = [];
  const dead: Dead[] = [];
  const row = new Array<unknown>(ROW_VALUES).fill(null);
  let ordered = true;
  let last = -1;
  for (let i = 0; i < records.length; i++) {
    if (i % SLICE === SLICE - 1) yield;
    const rec = records[i]!;
    if (rec.offset < last) ordered = false;
    last = rec.next;
    if (fastAssertionRow(rec, row, 0)) {
      row[ROW_HASH] = rec.hash;
      row[ROW_OFFSET] = rec.offset;
      if (hasNul(row[1]) || hasNul(row[2]) || hasNul(row[3]) || hasNul(row[6])) dead.push({ rec, code: 'NUL_IN_TEXT', reason: NUL_REASON });
      else pushAssertion(cols, keys, row);
      continue;
    }
    let d;
    try {
      d = decodeRecord(rec.payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      dead.push({ rec, code: err.code, reason: err.message });
      continue;
    }
    switch (d.type) {
      case RecordType.Assertion: {
        const a = d.record;
        const o = a.object;
        // The one-pass row's layout, so both paths share pushAssertion.
        const kind =
          typeof o === 'string'
            ? ObjectKind.String
            : typeof o === 'number'
              ? ObjectKind.Number
              : typeof o === 'boolean'
                ? ObjectKind.Boolean
                : ObjectKind.Bytes;
        const evidence = a.evidence === undefined ? null : JSON.stringify(a.evidence);
        const r = [
          rec.hash,
          a.subject,
          a.predicate,
          typeof o === 'boolean' ? (o ? 1 : 0) : o,
          kind,
          a.epoch,
          a.author,
          a.confidence,
          a.createdAt,
          evidence,
          rec.offset,
        ];
        if ([a.subject, a.predicate, a.author, o].some(hasNul)) dead.push({ rec, code: 'NUL_IN_TEXT', reason: NUL_REASON });
        else pushAssertion(cols, keys, r);
        break;
      }
      case RecordType.Vote:
        if (hasNul(d.record.voter)) dead.push({ rec, code: 'NUL_IN_TEXT', reason: NUL_REASON });
        else votes.push({ v: d.record, rec });
        break;
      case RecordType.Epoch:
        if (hasNul(d.record.name) || hasNul(d.record.description)) dead.push({ rec, code: 'NUL_IN_TEXT', reason: NUL_REASON });
        else epochs.push({ e: d.record, rec });
        break;
    }
  }
  // Every transaction takes row locks in key order (no deadlock between two of them); within a
  // key, the lowest offset first (its row is the one inserted, as the SQLite store keeps it).
  const order = keyOrder(keys, (i, j) => cmp(keys[i]!, keys[j]!) || (cols[A_OFFSET]![i] as number) - (cols[A_OFFSET]![j] as number));
  votes.sort((x, y) => cmp(x.v.assertion, y.v.assertion) || cmp(x.rec.hash, y.rec.hash) || x.rec.offset - y.rec.offset);
  epochs.sort((x, y) => cmp(x.e.id, y.e.id) || x.rec.offset - y.rec.offset);
  yield;
  const assertions = yield* literals(order.length, (c, lo, hi) => column(cols[c]!, A_KINDS[c]!, order, lo, hi), A_COLUMNS);
  return new PgBatch(records, ordered, assertions, voteLiterals(votes), epochs, dead);
}

/** Appends a row in assertion-row.ts's layout (hash, subject, predicate, object, kind, epoch, author, confidence, createdAt, evidence, offset). */
function pushAssertion(cols: unknown[][], keys: Uint8Array[], r: unknown[]): void {
  const kind = r[4] as number;
  const o = r[3];
  keys.push(r[ROW_HASH] as Uint8Array);
  cols[A_HASH]!.push(r[ROW_HASH]);
  cols[A_SUBJECT]!.push(r[1]);
  cols[A_PREDICATE]!.push(r[2]);
  cols[A_KIND]!.push(kind);
  cols[A_TEXT]!.push(kind === ObjectKind.String ? o : null);
  cols[A_NUMBER]!.push(kind === ObjectKind.Number || kind === ObjectKind.Boolean ? o : null);
  cols[A_BYTES]!.push(kind === ObjectKind.Bytes ? o : null);
  cols[A_EPOCH]!.push(r[5]);
  cols[A_AUTHOR]!.push(r[6]);
  cols[A_CONFIDENCE]!.push(r[7]);
  cols[A_CREATED]!.push(r[8]);
  cols[A_EVIDENCE]!.push(r[9]);
  cols[A_OFFSET]!.push(r[ROW_OFFSET]);
}

/** How each assertions column is written into an array literal. */
const A_KINDS: ElementKind[] = ['bytea', 'text', 'text', 'int', 'text', 'float', 'bytea', 'bytea', 'text', 'float', 'int', 'text', 'int'];

function voteLiterals(votes: ReadonlyArray<{ v: Vote; rec: JournalRecord }>): Literals {
  const rows = votes.map(({ v, rec }) => [v.assertion, rec.hash, v.voter, v.stance, v.weight, v.createdAt, rec.offset]);
  const kinds: ElementKind[] = ['bytea', 'bytea', 'text', 'int', 'float', 'int', 'int'];
  const identity = Uint32Array.from(rows.keys());
  const steps = literals(
    rows.length,
    (c, lo, hi) =>
      column(
        rows.map((r) => r[c]),
        kinds[c]!,
        identity,
        lo,
        hi,
      ),
    kinds.length,
  );
  for (;;) {
    const step = steps.next(); // votes are few: in one slice
    if (step.done) return step.value;
  }
}

/** The array literals of `columns` columns of `count` rows, ROWS_PER_STATEMENT rows per statement; a slice per column. */
function* literals(count: number, build: (col: number, lo: number, hi: number) => string, columns: number): Generator<void, Literals> {
  const chunks: string[][] = [];
  for (let lo = 0; lo < count; lo += ROWS_PER_STATEMENT) {
    const hi = Math.min(count, lo + ROWS_PER_STATEMENT);
    const chunk: string[] = [];
    for (let c = 0; c < columns; c++) {
      chunk.push(build(c, lo, hi));
      yield;
    }
    chunks.push(chunk);
  }
  return { count, chunks };
}

/** How a value is written as an element of a PostgreSQL array literal. */
export type ElementKind = 'bytea' | 'text' | 'int' | 'float';

const hexSlice = Buffer.prototype.hexSlice as (this: Uint8Array, start: number, end: number) => string;

/** Column values `values[order[lo..hi)]` as an array literal '{...}' (what pg would send for a JS array). */
function column(values: readonly unknown[], kind: ElementKind, order: Uint32Array, lo: number, hi: number): string {
  const parts = new Array<string>(hi - lo);
  for (let i = lo; i < hi; i++) parts[i - lo] = element(values[order[i]!], kind);
  return `{${parts.join(',')}}`;
}

/** One array element: NULL, a number, or double-quoted text / bytea (as \\x hex, the escaped form of \x...). */
export function element(v: unknown, kind: ElementKind): string {
  if (v === null || v === undefined) return 'NULL';
  switch (kind) {
    case 'bytea': {
      const b = v as Uint8Array;
      return `"\\\\x${hexSlice.call(b, 0, b.length)}"`;
    }
    case 'int':
      return String(v);
    case 'float':
      return Object.is(v, -0) ? '-0' : String(v); // String(-0) would lose the sign
    case 'text': {
      const s = v as string;
      return /["\\]/.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
    }
  }
}

/** Unsigned bytewise order, as Buffer.compare and PostgreSQL's bytea (memcmp); no Buffer views allocated. */
export function cmp(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The indexes of `keys` in the order of `compare`, whose first criterion must be the bytes of the
 * keys. A numeric sort of one double per key (a prefix of the key's bytes, with the index in its
 * low bits) instead of a comparator call per comparison; keys whose prefixes tie are put in order
 * by `compare` afterwards (rare: content hashes are random).
 */
function keyOrder(keys: readonly Uint8Array[], compare: (i: number, j: number) => number): Uint32Array {
  const n = keys.length;
  const idxBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const prefixBits = Math.min(48, 53 - idxBits);
  const scale = 2 ** idxBits;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    let p = 0;
    for (let b = 0; b < 6; b++) p = p * 256 + (k[b] ?? 0); // a short key counts as zero-padded: tied, then compared
    sorted[i] = Math.floor(p / 2 ** (48 - prefixBits)) * scale + i;
  }
  sorted.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = sorted[i]! % scale;
  // Runs of equal prefixes: insertion sort by the full comparison.
  for (let i = 1; i < n; i++) {
    if (Math.floor(sorted[i]! / scale) !== Math.floor(sorted[i - 1]! / scale)) continue;
    for (let j = i; j > 0 && Math.floor(sorted[j]! / scale) === Math.floor(sorted[j - 1]! / scale) && compare(order[j - 1]!, order[j]!) > 0; j--) {
      const t = order[j]!;
      order[j] = order[j - 1]!;
      order[j - 1] = t;
    }
  }
  return order;
}
