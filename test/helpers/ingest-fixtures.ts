/** Record factories, a seeded PRNG and temp-dir handling for the ingest tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Assertion, Epoch, Vote } from '../../src/ingest/records.js';

/** Deterministic PRNG (mulberry32), shared with the other tests. */
export { rng as prng } from './vectors.js';

export function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

export const EPOCH_A = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
export const EPOCH_B = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);

export const T0 = 1_732_400_000_000;

export function assertion(i: number, over: Partial<Assertion> = {}): Assertion {
  return {
    subject: `entity:${i}`,
    predicate: 'knows',
    object: `entity:${i + 1}`,
    epoch: EPOCH_A,
    author: 'did:key:z6MkAuthor',
    confidence: 0.75,
    createdAt: T0 + i,
    ...over,
  };
}

export function vote(target: Uint8Array, i: number, over: Partial<Vote> = {}): Vote {
  return { assertion: target, voter: `voter-${i}`, stance: 1, weight: 1, createdAt: T0 + i, ...over };
}

export function epoch(id: Uint8Array = EPOCH_A, over: Partial<Epoch> = {}): Epoch {
  return { id, name: 'modern physics', description: 'after 1905', startedAt: T0, ...over };
}

/** A fresh temp dir and its cleanup. */
export function tempDir(prefix = 'stemedb-ingest-'): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Plain-object view for deep equality (Buffers and Uint8Arrays compare as hex). */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${hex(value)}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = plain(v);
    }
    return out;
  }
  return value;
}
