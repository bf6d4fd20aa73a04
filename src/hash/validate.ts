/** Argument checks shared by both hash backends: readable TypeError/RangeError. */

export function checkBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array or Buffer, got ${describe(value)}`);
  }
  if (value.byteLength === 0 && isDetached(value)) {
    throw new TypeError(`${name} is backed by a detached ArrayBuffer`);
  }
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
  if (typeof seed !== 'number') throw new TypeError(`seed must be a number, got ${describe(seed)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/** Output length of BLAKE3 extended output: 1 byte .. 1 GiB. */
export function checkOutLength(length: unknown): number {
  if (length === undefined) return 32;
  if (typeof length !== 'number') throw new TypeError(`length must be a number, got ${describe(length)}`);
  if (!Number.isInteger(length) || length < 1 || length > 2 ** 30) {
    throw new RangeError(`length must be an integer in [1, 2^30], got ${length}`);
  }
  return length;
}

export function checkKey(key: unknown): Uint8Array {
  checkBytes(key, 'key');
  if (key.byteLength !== 32) throw new RangeError(`key must be exactly 32 bytes, got ${key.byteLength}`);
  return key;
}

export function checkContext(context: unknown): string {
  if (typeof context !== 'string') throw new TypeError(`context must be a string, got ${describe(context)}`);
  return context;
}

export function checkNonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
  return value;
}

/** An options argument: undefined (no options) or a plain object; null and primitives are a TypeError. */
export function checkOptionsObject(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

export function checkSignal(signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
