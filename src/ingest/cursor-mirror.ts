/**
 * The Ingestor's `journalCursor` option: after each store transaction commits, the
 * consumer's cursor is committed to the journal's named cursor too, so the journal
 * knows its consumer (lag in stats(), retention never deletes what it has not read).
 * Batches commit with synchronous=NORMAL, which a power loss can take back: so the
 * store's cursor is made durable first (the synced commit cleanup uses), and only then
 * is the journal cursor committed, never ahead of what the store keeps. The store's cursor is the truth: the mirror trails it (at most one commit in
 * flight, the latest value next), may be rewound to it (allowBackward), and a failed
 * mirror commit is reported (onError, not fatal) without stopping ingestion.
 */
import { argTypeError } from '../validate.js';
import { checkCursorName } from '../journal/cursors.js';
import type { IngestSource } from './source.js';

export class CursorMirror {
  #inFlight: Promise<void> | null = null;
  #pending: number | null = null;
  #committed: number | null = null;

  constructor(
    readonly source: IngestSource,
    readonly name: string,
    /** Makes the store's cursor durable (IngestSink.syncCleanupFloor). */
    readonly syncStore: () => unknown,
    readonly onError: (err: unknown) => void,
  ) {
    checkCursorName(name);
    if (typeof source.cursors?.commit !== 'function') {
      throw argTypeError('Ingestor: journalCursor needs a source with cursors (a Journal or a JournalReader)', 'ERR_INVALID_ARG_VALUE');
    }
  }

  /** Commits `offset` to the journal cursor after the commit in flight (values in between are skipped). */
  set(offset: number): void {
    if (offset === this.#committed && this.#inFlight === null) return;
    this.#pending = offset;
    if (this.#inFlight === null) this.#inFlight = this.#drain();
  }

  /** Resolves once the latest value is committed (or its commit failed and was reported). */
  async settled(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  async #drain(): Promise<void> {
    while (this.#pending !== null) {
      const offset = this.#pending;
      this.#pending = null;
      try {
        await this.syncStore();
        await this.source.cursors!.commit(this.name, offset, { allowBackward: true });
        this.#committed = offset;
      } catch (err) {
        this.onError(err);
      }
    }
    this.#inFlight = null;
  }
}
