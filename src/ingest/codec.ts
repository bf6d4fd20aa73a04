/**
 * Payload codec: `[type:u8][7 zero bytes][body]`.
 *
 * The body is a MessagePack array of the record's fields in a fixed order
 * (msgpackr, `useRecords: false`), so the same record always gives the same
 * bytes and therefore the same BLAKE3 content hash. Field order:
 *
 *   Assertion: [subject, predicate, object, epoch, author, confidence, createdAt, evidence[]]
 *   Vote:      [assertion, voter, stance, weight, createdAt]
 *   Epoch:     [id, name, description, startedAt, parent | nil]
 *
 * See docs/ingest.md for the byte-level description and why msgpackr
 * rather than a hand-written layout (benches/codec.ts).
 */
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { DecodeError } from './errors.js';
import { argRangeError, argTypeError, checkSizedBytes } from '../validate.js';
import { checkMessagePack } from './msgpack-check.js';
import {
  type Assertion,
  type DecodedRecord,
  type Epoch,
  type Vote,
  EPOCH_ID_BYTES,
  HASH_BYTES,
  RecordType,
  checkConfidence,
  checkEvidence,
  checkObject,
  checkStance,
  checkString,
  checkTime,
  checkWeight,
  validateAssertion,
  validateEpoch,
  validateVote,
} from './records.js';

/** Bytes before the body: the type byte and 7 reserved zero bytes. */
export const HEADER_BYTES = 8;

const ASSERTION_FIELDS = 8;
const VOTE_FIELDS = 5;
const EPOCH_FIELDS = 5;

// One packer/unpacker for the module: both are synchronous and re-entrant
// safe for our use (no structures, no extensions registered by us).
const packr = new Packr({ useRecords: false, moreTypes: false, useFloat32: 0, structuredClone: false, bundleStrings: false });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number', mapsAsObjects: true });

const RESERVE_HEADER = RESERVE_START_SPACE | HEADER_BYTES;
const NO_EVIDENCE: readonly string[] = Object.freeze([]);

function frame(type: RecordType, fields: unknown[]): Uint8Array {
  // msgpackr leaves HEADER_BYTES free at the start of the returned buffer (no copy);
  // they may hold stale bytes, so all eight are written.
  const out = packr.pack(fields, RESERVE_HEADER) as Uint8Array;
  out[0] = type;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out[4] = 0;
  out[5] = 0;
  out[6] = 0;
  out[7] = 0;
  return out;
}

/**
 * Encodes an assertion payload. Throws TypeError / RangeError naming the bad
 * field. The result is a Buffer (a Uint8Array) that may share its
 * ArrayBuffer with other encodings: don't transfer its `.buffer`.
 */
export function encodeAssertion(a: Assertion): Uint8Array {
  validateAssertion(a);
  return frame(RecordType.Assertion, [a.subject, a.predicate, a.object, a.epoch, a.author, a.confidence, a.createdAt, a.evidence ?? NO_EVIDENCE]);
}

/** Encodes a vote payload. Throws TypeError / RangeError naming the bad field. */
export function encodeVote(v: Vote): Uint8Array {
  validateVote(v);
  return frame(RecordType.Vote, [v.assertion, v.voter, v.stance, v.weight, v.createdAt]);
}

/** Encodes an epoch payload. Throws TypeError / RangeError naming the bad field. */
export function encodeEpoch(e: Epoch): Uint8Array {
  validateEpoch(e);
  return frame(RecordType.Epoch, [e.id, e.name, e.description, e.startedAt, e.parent ?? null]);
}

/** Encodes any record given its type tag (the inverse of decodeRecord). */
export function encodeRecord(r: DecodedRecord): Uint8Array {
  switch (r.type) {
    case RecordType.Assertion:
      return encodeAssertion(r.record);
    case RecordType.Vote:
      return encodeVote(r.record);
    case RecordType.Epoch:
      return encodeEpoch(r.record);
    default:
      throw argRangeError(`unknown record type ${String((r as { type: unknown }).type)}`, 'ERR_INVALID_ARG_VALUE');
  }
}

/**
 * Reads only the header: the record type, or throws DecodeError
 * ('TRUNCATED', 'UNKNOWN_TYPE', 'BAD_PADDING').
 */
export function peekRecordType(payload: Uint8Array): RecordType {
  if (!(payload instanceof Uint8Array)) throw argTypeError('payload must be a Uint8Array');
  if (payload.length < HEADER_BYTES + 1) {
    throw new DecodeError('TRUNCATED', `payload is ${payload.length} bytes, shorter than the ${HEADER_BYTES}-byte header and a body`);
  }
  const type = payload[0]!;
  if (type > RecordType.Epoch) throw new DecodeError('UNKNOWN_TYPE', `unknown record type ${type}`);
  if ((payload[1]! | payload[2]! | payload[3]! | payload[4]! | payload[5]! | payload[6]! | payload[7]!) !== 0) {
    throw new DecodeError('BAD_PADDING', 'reserved header bytes 1..7 are not zero');
  }
  return type as RecordType;
}

/**
 * Decodes a payload. Throws only DecodeError (any input, including random
 * bytes). Byte fields of the result (epoch ids, hashes, bytes objects) are
 * views into `payload`: copy them if the payload's memory is reused.
 */
export function decodeRecord(payload: Uint8Array): DecodedRecord {
  const type = peekRecordType(payload);
  const fields = unpackBody(payload);
  try {
    switch (type) {
      case RecordType.Assertion:
        return { type, record: assertionFromFields(fields) };
      case RecordType.Vote:
        return { type, record: voteFromFields(fields) };
      default:
        return { type, record: epochFromFields(fields) };
    }
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new DecodeError('BAD_FIELD', err.message, { cause: err });
    }
    throw err;
  }
}

function unpackBody(payload: Uint8Array): unknown[] {
  // msgpackr would silently replace bad UTF-8 and round big integers: refuse those first.
  checkMessagePack(payload, HEADER_BYTES);
  let body: unknown;
  try {
    body = unpackr.unpack(payload, { start: HEADER_BYTES });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RangeError && message.includes('call stack')) {
      throw new DecodeError('MALFORMED', 'record body nests too deeply', { cause: err });
    }
    if (message.startsWith('Data read, but end of buffer not reached')) {
      throw new DecodeError('OVERSIZED', 'bytes left over after the record body', { cause: err });
    }
    if ((err as { incomplete?: boolean } | null)?.incomplete) {
      throw new DecodeError('TRUNCATED', 'record body ends inside a value', { cause: err });
    }
    throw new DecodeError('MALFORMED', `record body is not valid MessagePack: ${message}`, { cause: err });
  }
  if (!Array.isArray(body)) {
    throw new DecodeError('BAD_FIELD', `record body must be a MessagePack array of fields`);
  }
  return body;
}

function arity(fields: unknown[], n: number, what: string): void {
  if (fields.length !== n) throw argRangeError(`${what} body must have ${n} fields, got ${fields.length}`, 'ERR_INVALID_ARG_VALUE');
}

function assertionFromFields(f: unknown[]): Assertion {
  arity(f, ASSERTION_FIELDS, 'assertion');
  const a: Assertion = {
    subject: checkString(f[0], 'assertion.subject', false),
    predicate: checkString(f[1], 'assertion.predicate', false),
    object: checkObject(f[2], 'assertion.object'),
    epoch: checkSizedBytes(f[3], 'assertion.epoch', EPOCH_ID_BYTES),
    author: checkString(f[4], 'assertion.author', false),
    confidence: checkConfidence(f[5], 'assertion.confidence'),
    createdAt: checkTime(f[6], 'assertion.createdAt'),
  };
  // nil and [] both mean "no evidence" (the encoder writes []).
  const evidence = checkEvidence(f[7], 'assertion.evidence');
  if (evidence !== undefined) a.evidence = evidence;
  return a;
}

function voteFromFields(f: unknown[]): Vote {
  arity(f, VOTE_FIELDS, 'vote');
  return {
    assertion: checkSizedBytes(f[0], 'vote.assertion', HASH_BYTES),
    voter: checkString(f[1], 'vote.voter', false),
    stance: checkStance(f[2], 'vote.stance'),
    weight: checkWeight(f[3], 'vote.weight'),
    createdAt: checkTime(f[4], 'vote.createdAt'),
  };
}

function epochFromFields(f: unknown[]): Epoch {
  arity(f, EPOCH_FIELDS, 'epoch');
  const e: Epoch = {
    id: checkSizedBytes(f[0], 'epoch.id', EPOCH_ID_BYTES),
    name: checkString(f[1], 'epoch.name', false),
    description: checkString(f[2], 'epoch.description', true),
    startedAt: checkTime(f[3], 'epoch.startedAt'),
  };
  if (f[4] !== null && f[4] !== undefined) e.parent = checkSizedBytes(f[4], 'epoch.parent', EPOCH_ID_BYTES);
  return e;
}
