/**
 * Argument checks: readable TypeError/RangeError that name the argument and carry
 * Node's codes (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE), so
 * callers can branch on `code` as they do for Node's own APIs.
 */

export type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE' | 'RECORD_TOO_LARGE';

/** A wrong type: TypeError, code ERR_INVALID_ARG_TYPE (or ERR_INVALID_ARG_VALUE for a bad value of the right type). */
export function argTypeError(message: string, code: ArgErrorCode = 'ERR_INVALID_ARG_TYPE'): TypeError {
  return Object.assign(new TypeError(message), { code });
}

/** A value out of range: RangeError, code ERR_OUT_OF_RANGE (or ERR_INVALID_ARG_VALUE for a value not in a set). */
export function argRangeError(message: string, code: ArgErrorCode = 'ERR_OUT_OF_RANGE'): RangeError {
  return Object.assign(new RangeError(message), { code });
}

/**
 * `options` is undefined or an object whose keys are all in `allowed`: a
 * misspelt option ({ durabilty: 'each' }) is an error, not a silent default.
 */
export function checkOptions(options: unknown, allowed: readonly string[], name = 'options'): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw argTypeError(`${name} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw argTypeError(`${name}.${key} is not a known option (known: ${allowed.join(', ')})`, 'ERR_INVALID_ARG_VALUE');
    }
  }
  return options as Record<string, unknown>;
}

/**
 * The keys of an options interface for checkOptions, complete by construction:
 * the compiler rejects the list when the interface gains an option it lacks.
 */
export function keysOf<T>(keys: Record<keyof T, true>): string[] {
  return Object.keys(keys);
}

/** `options.signal`: undefined or an AbortSignal. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw argTypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
}

export function checkBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw argTypeError(`${name} must be a Uint8Array or Buffer, got ${describe(value)}`);
  }
  if (value.byteLength === 0 && isDetached(value)) {
    throw argTypeError(`${name} is backed by a detached ArrayBuffer`, 'ERR_INVALID_ARG_VALUE');
  }
}

/** checkBytes, and exactly `size` bytes long (ERR_INVALID_ARG_VALUE otherwise); returns the bytes. */
export function checkSizedBytes(value: unknown, name: string, size: number): Uint8Array {
  checkBytes(value, name);
  if (value.length !== size) throw argRangeError(`${name} must be ${size} bytes, got ${value.length}`, 'ERR_INVALID_ARG_VALUE');
  return value;
}

function isDetached(view: Uint8Array): boolean {
  try {
    // Constructing a view on a detached buffer throws; on a live empty one it does not.
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function checkSeed(seed: unknown): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number') throw argTypeError(`seed must be a number, got ${describe(seed)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw argRangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/** Output length of BLAKE3 extended output: 1 byte .. 1 GiB. */
export function checkOutLength(length: unknown): number {
  if (length === undefined) return 32;
  if (typeof length !== 'number') throw argTypeError(`length must be a number, got ${describe(length)}`);
  if (!Number.isInteger(length) || length < 1 || length > 2 ** 30) {
    throw argRangeError(`length must be an integer in [1, 2^30], got ${length}`);
  }
  return length;
}

export function checkKey(key: unknown): Uint8Array {
  checkBytes(key, 'key');
  if (key.byteLength !== 32) throw argRangeError(`key must be exactly 32 bytes, got ${key.byteLength}`, 'ERR_INVALID_ARG_VALUE');
  return key;
}

export function checkContext(context: unknown): string {
  if (typeof context !== 'string') throw argTypeError(`context must be a string, got ${describe(context)}`);
  return context;
}

export function checkNonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number') throw argTypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw argRangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
  return value;
}

/** A short description of a bad argument for error messages: its type, and its value where short. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  const t = typeof value;
  if (t === 'object') return (value as object).constructor?.name ?? 'an object';
  if (t === 'string') return 'a string';
  return `${t} ${String(value)}`;
}
