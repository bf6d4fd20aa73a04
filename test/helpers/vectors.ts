import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

export interface Crc32cCase {
  name: string;
  input_hex: string;
  crc32c: string;
}
export interface Blake3Case {
  input_len: number;
  hash: string;
  keyed_hash: string;
  derive_key: string;
}

export const crcVectors = JSON.parse(readFileSync(join(dir, 'crc32c_vectors.json'), 'utf8')) as { cases: Crc32cCase[] };
export const blake3Vectors = JSON.parse(readFileSync(join(dir, 'blake3_test_vectors.json'), 'utf8')) as {
  key: string;
  context_string: string;
  cases: Blake3Case[];
};

/** The BLAKE3 vectors' input: bytes 0, 1, ..., 250, 0, 1, ... */
export function blake3Input(len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = i % 251;
  return b;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Small seeded PRNG (mulberry32) so failures can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(n: number, next: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (next() * 256) | 0;
  return b;
}

/** Bit-at-a-time CRC32C: the slow, obviously-right reference. */
export function crc32cReference(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}
