/** Hashes and ids as given by callers: bytes, or lowercase/uppercase hex. */
import { argRangeError, argTypeError, describe } from './validate.js';

export type BytesLike = Uint8Array | string;

const HEX = /^[0-9a-fA-F]*$/;

/** Checks a hash / id argument and returns it as bytes (a hex string is parsed). */
export function toKey(value: BytesLike, size: number, what: string): Uint8Array {
  if (typeof value === 'string') {
    if (value.length !== size * 2 || !HEX.test(value)) {
      throw argRangeError(`${what} must be ${size} bytes or ${size * 2} hex digits, got the string "${value.slice(0, 80)}"`, 'ERR_INVALID_ARG_VALUE');
    }
    return Buffer.from(value, 'hex');
  }
  if (!(value instanceof Uint8Array)) throw argTypeError(`${what} must be a Uint8Array or a hex string, got ${describe(value)}`);
  if (value.length !== size) throw argRangeError(`${what} must be ${size} bytes, got ${value.length}`, 'ERR_INVALID_ARG_VALUE');
  return value;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
