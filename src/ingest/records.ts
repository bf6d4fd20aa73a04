/**
 * The knowledge records carried in journal payloads, and their validation.
 *
 * The same checks run on encode (bad input -> TypeError / RangeError) and on
 * decode (where the codec rethrows them as DecodeError 'BAD_FIELD'), so a
 * record that encodes always decodes and vice versa.
 */
import { argRangeError, argTypeError, checkSizedBytes, describe } from '../validate.js';

/** Payload type byte (the first byte of every payload). Values from the seed. */
export const RecordType = {
  Assertion: 0,
  Vote: 1,
  Epoch: 2,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** Size of an epoch id in bytes. */
export const EPOCH_ID_BYTES = 16;
/** Size of a content hash (BLAKE3-256) in bytes. */
export const HASH_BYTES = 32;

/**
 * The object of an assertion. Numbers must be finite (SQLite turns NaN into
 * NULL); `-0` is stored as `0`. Bytes come back as a Buffer (a Uint8Array).
 */
export type AssertionObject = string | number | boolean | Uint8Array;

/** A knowledge claim: `subject predicate object`, made by `author` within an epoch. */
export interface Assertion {
  /** What the claim is about. Non-empty. Indexed: see Store.assertionsBySubject. */
  subject: string;
  /** The relation. Non-empty. */
  predicate: string;
  /** The value: string, finite number, boolean or bytes. */
  object: AssertionObject;
  /** Id (16 bytes) of the epoch the claim belongs to. Need not be ingested yet. */
  epoch: Uint8Array;
  /** Who makes the claim (an opaque identifier: a key fingerprint, a DID, a name). Non-empty. */
  author: string;
  /** The author's confidence, a finite number in [0, 1]. */
  confidence: number;
  /** Creation time, integer milliseconds since the Unix epoch (>= 0). */
  createdAt: number;
  /**
   * Supporting references (URLs, hashes, citations). An empty list and no list
   * are the same record: both encode the same, and decode as `undefined`.
   */
  evidence?: string[];
}

/** +1 supports the assertion, -1 opposes it. */
export type Stance = 1 | -1;

/** A weighted vote for or against an assertion. */
export interface Vote {
  /** Content hash (32 bytes) of the assertion voted on. It may arrive later than the vote. */
  assertion: Uint8Array;
  /** Who votes. Non-empty. */
  voter: string;
  /** +1 or -1. */
  stance: Stance;
  /** Finite, > 0. */
  weight: number;
  /** Integer milliseconds since the Unix epoch (>= 0). */
  createdAt: number;
}

/** A paradigm / period that assertions belong to. */
export interface Epoch {
  /** 16-byte id, chosen by the creator (e.g. random or a UUID's bytes). */
  id: Uint8Array;
  /** Non-empty. */
  name: string;
  /** May be empty. */
  description: string;
  /** Integer milliseconds since the Unix epoch (>= 0). */
  startedAt: number;
  /** Id of the epoch this one refines or replaces. */
  parent?: Uint8Array;
}

/** What decodeRecord returns: the type tag and the record. */
export type DecodedRecord =
  | { type: typeof RecordType.Assertion; record: Assertion }
  | { type: typeof RecordType.Vote; record: Vote }
  | { type: typeof RecordType.Epoch; record: Epoch };

// ---------------------------------------------------------------------------
// Validation. Each function throws TypeError (wrong type) or RangeError (right
// type, bad value) with a message naming the record and field.

interface WellFormed {
  isWellFormed(): boolean;
}

export function checkString(value: unknown, where: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') throw argTypeError(`${where} must be a string, got ${describe(value)}`);
  if (!allowEmpty && value.length === 0) throw argRangeError(`${where} must not be empty`, 'ERR_INVALID_ARG_VALUE');
  // Lone surrogates cannot be encoded as UTF-8; they would come back as U+FFFD.
  if (!(value as unknown as WellFormed).isWellFormed()) {
    throw argRangeError(`${where} contains a lone UTF-16 surrogate`, 'ERR_INVALID_ARG_VALUE');
  }
  return value;
}

export function checkTime(value: unknown, where: string): number {
  if (typeof value !== 'number') throw argTypeError(`${where} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw argRangeError(`${where} must be a non-negative integer (ms since the Unix epoch), got ${value}`);
  }
  return value;
}

export function checkObject(value: unknown, where: string): AssertionObject {
  switch (typeof value) {
    case 'string':
      return checkString(value, where, true);
    case 'number':
      if (!Number.isFinite(value)) throw argRangeError(`${where} must be a finite number, got ${value}`);
      return value;
    case 'boolean':
      return value;
    default:
      if (value instanceof Uint8Array) return value;
      throw argTypeError(`${where} must be a string, number, boolean or Uint8Array, got ${describe(value)}`);
  }
}

export function checkConfidence(value: unknown, where: string): number {
  if (typeof value !== 'number') throw argTypeError(`${where} must be a number, got ${describe(value)}`);
  if (!(value >= 0 && value <= 1)) throw argRangeError(`${where} must be in [0, 1], got ${value}`);
  return value;
}

export function checkWeight(value: unknown, where: string): number {
  if (typeof value !== 'number') throw argTypeError(`${where} must be a number, got ${describe(value)}`);
  if (!(value > 0 && value < Infinity)) throw argRangeError(`${where} must be a finite number > 0, got ${value}`);
  return value;
}

export function checkStance(value: unknown, where: string): Stance {
  if (typeof value !== 'number') throw argTypeError(`${where} must be 1 or -1, got ${describe(value)}`);
  if (value !== 1 && value !== -1) throw argRangeError(`${where} must be 1 or -1, got ${value}`);
  return value;
}

export function checkEvidence(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw argTypeError(`${where} must be an array of strings, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++) checkString(value[i], `${where}[${i}]`, true);
  return value.length === 0 ? undefined : (value as string[]);
}

function checkRecordObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw argTypeError(`${what} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Validates every field of an assertion (throws TypeError / RangeError). */
export function validateAssertion(a: unknown): asserts a is Assertion {
  const r = checkRecordObject(a, 'assertion');
  checkString(r.subject, 'assertion.subject', false);
  checkString(r.predicate, 'assertion.predicate', false);
  checkObject(r.object, 'assertion.object');
  checkSizedBytes(r.epoch, 'assertion.epoch', EPOCH_ID_BYTES);
  checkString(r.author, 'assertion.author', false);
  checkConfidence(r.confidence, 'assertion.confidence');
  checkTime(r.createdAt, 'assertion.createdAt');
  checkEvidence(r.evidence, 'assertion.evidence');
}

export function validateVote(v: unknown): asserts v is Vote {
  const r = checkRecordObject(v, 'vote');
  checkSizedBytes(r.assertion, 'vote.assertion', HASH_BYTES);
  checkString(r.voter, 'vote.voter', false);
  checkStance(r.stance, 'vote.stance');
  checkWeight(r.weight, 'vote.weight');
  checkTime(r.createdAt, 'vote.createdAt');
}

export function validateEpoch(e: unknown): asserts e is Epoch {
  const r = checkRecordObject(e, 'epoch');
  checkSizedBytes(r.id, 'epoch.id', EPOCH_ID_BYTES);
  checkString(r.name, 'epoch.name', false);
  checkString(r.description, 'epoch.description', true);
  checkTime(r.startedAt, 'epoch.startedAt');
  if (r.parent !== undefined && r.parent !== null) checkSizedBytes(r.parent, 'epoch.parent', EPOCH_ID_BYTES);
}
