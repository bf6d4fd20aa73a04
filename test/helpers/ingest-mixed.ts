/**
 * A journal's worth of mixed ingest payloads, and the store's tables as comparable text: for tests
 * that check an ingest run (killed, on two threads, ...) left exactly what one clean pass leaves.
 */
import { blake3 } from '../../src/index.js';
import { type Store, encodeAssertion, encodeEpoch, encodeVote } from '../../src/ingest/index.js';
import { T0, hex, randomBytes } from './ingest-fixtures.js';

/** Tables and their keys; the columns compared are all but the wall-clock ones. */
export const TABLES: Array<{ name: string; key: string; skip: string[] }> = [
  { name: 'assertions', key: 'hash', skip: [] },
  { name: 'votes', key: 'assertion, hash', skip: [] },
  { name: 'epochs', key: 'id', skip: [] },
  // created_at / updated_at are Date.now() at commit time: they differ between any two runs.
  { name: 'dead_letters', key: 'consumer, offset', skip: ['created_at'] },
  { name: 'ingest_cursors', key: 'consumer', skip: ['updated_at'] },
];

function columns(db: Store['db'], table: string, skip: string[]): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).filter((c) => !skip.includes(c));
}

/** Every row of every table as text (bytes as hex), in key order. `below`: only rows from offsets < below. */
export function dump(db: Store['db'], below?: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const cols = columns(db, t.name, t.skip);
    const where = below !== undefined && cols.includes('offset') ? ` WHERE offset < ${below}` : '';
    const rows = db.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${t.name}${where} ORDER BY ${t.key}`).all() as Record<string, unknown>[];
    out[t.name] = rows.map((r) => JSON.stringify(cols.map((c) => r[c]).map((v) => (v instanceof Uint8Array ? `x${hex(v)}` : v))));
  }
  return out;
}

/** A journal of mixed records: assertions, votes (some before their assertion), epochs (and a
 * conflicting redefinition), exact duplicates of earlier payloads, and malformed payloads. */
export function buildPayloads(rand: () => number, count: number): Uint8Array[] {
  const epochs = [0, 1, 2].map((k) => Uint8Array.from({ length: 16 }, (_, i) => 16 * k + i + 1));
  const out: Uint8Array[] = [];
  const assertions: Uint8Array[] = [];
  const futureVotes: Array<{ at: number; payload: Uint8Array }> = [];
  for (let i = 0; out.length < count; i++) {
    const r = rand();
    if (i < 3) {
      out.push(encodeEpoch({ id: epochs[i]!, name: `epoch ${i}`, description: i ? 'refines' : '', startedAt: T0, ...(i ? { parent: epochs[0]! } : {}) }));
    } else if (r < 0.6) {
      const a = encodeAssertion({
        subject: `s${Math.floor(rand() * 50)}`,
        predicate: ['p', 'q', 'r'][Math.floor(rand() * 3)]!,
        object: rand() < 0.5 ? `o${i}` : rand() < 0.5 ? i * 0.5 : rand() < 0.5 ? rand() < 0.5 : randomBytes(rand, 4),
        epoch: epochs[Math.floor(rand() * 3)]!,
        author: `a${Math.floor(rand() * 5)}`,
        confidence: Math.floor(rand() * 101) / 100,
        createdAt: T0 + Math.floor(rand() * 10_000),
        ...(rand() < 0.2 ? { evidence: [`e${i}`] } : {}),
      });
      assertions.push(a);
      out.push(a);
    } else if (r < 0.75 && assertions.length > 0) {
      const target = assertions[Math.floor(rand() * assertions.length)]!;
      out.push(
        encodeVote({
          assertion: blake3(target),
          voter: `v${Math.floor(rand() * 20)}`,
          stance: rand() < 0.7 ? 1 : -1,
          weight: 0.5 + Math.floor(rand() * 4),
          createdAt: T0 + i,
        }),
      );
    } else if (r < 0.8) {
      // A vote for an assertion that comes later (or never).
      const later = encodeAssertion({ subject: `late${i}`, predicate: 'p', object: i, epoch: epochs[0]!, author: 'a', confidence: 1, createdAt: T0 + i });
      out.push(encodeVote({ assertion: blake3(later), voter: 'early', stance: 1, weight: 1, createdAt: T0 + i }));
      if (rand() < 0.8) futureVotes.push({ at: out.length + Math.floor(rand() * 500), payload: later });
    } else if (r < 0.9 && out.length > 0) {
      out.push(out[Math.floor(rand() * out.length)]!); // exact duplicate
    } else if (r < 0.95) {
      const junk = randomBytes(rand, 1 + Math.floor(rand() * 40));
      if (rand() < 0.5) junk[0] = Math.floor(rand() * 3); // a plausible type byte
      out.push(junk);
    } else if (r < 0.96) {
      out.push(encodeEpoch({ id: epochs[Math.floor(rand() * 3)]!, name: `redefined ${i}`, description: '', startedAt: T0 + i }));
    } else {
      out.push(encodeAssertion({ subject: 'hot', predicate: 'p', object: i, epoch: epochs[1]!, author: 'a', confidence: 0.5, createdAt: T0 }));
    }
    for (let k = futureVotes.length - 1; k >= 0; k--) {
      if (futureVotes[k]!.at <= out.length) out.push(futureVotes.splice(k, 1)[0]!.payload);
    }
  }
  return out.slice(0, count);
}
