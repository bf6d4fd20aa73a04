/**
 * Payloads of the many-journals test: journal k (0..2) of `count` rounds holds
 * the assertions i with i % 3 != k (so each is in two journals: same bytes,
 * same hash), and a vote on assertion i from voter `v${i % 5}` in journal i % 3
 * and (i % 2 ? (i + 1) % 3) too. The parent computes the expected union from
 * the same function.
 */
import { encodeAssertion, encodeVote } from '../../src/ingest/index.js';
import { assertion, vote } from './ingest-fixtures.js';
import { blake3 } from '../../src/index.js';

export function journalPayloads(k: number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const a = encodeAssertion(assertion(i, { subject: `s${i % 97}` }));
    if (i % 3 !== k) out.push(a);
    if (i % 3 === k || (i % 2 === 1 && (i + 1) % 3 === k)) out.push(encodeVote(vote(blake3(a), i, { voter: `v${i % 5}` })));
  }
  return out;
}
