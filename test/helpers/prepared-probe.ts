/**
 * An IngestSink in front of a PgStore that shows the Ingestor's pipeline: it counts the batches
 * prepared ahead (prepareBatch) and the applies started, and after each committed batch runs a
 * hook (`afterCommit(n)`) before answering, so a test can act at the moment batch n has committed
 * and batch n + 1 is prepared but not applied.
 */
import type { ApplyBatchOptions, BatchResult, IngestSink, JournalRecord, PgStore, PreparedBatch } from '../../src/ingest/index.js';

export class PreparedProbe implements IngestSink {
  readonly readonly = false;
  prepared = 0;
  applied = 0;
  constructor(
    readonly store: PgStore,
    private readonly afterCommit: (n: number) => Promise<void> | void,
  ) {}

  get preferredBatchSize(): number {
    return this.store.preferredBatchSize;
  }

  prepareBatch(records: readonly JournalRecord[]): Promise<PreparedBatch> {
    this.prepared++;
    return this.store.prepareBatch(records);
  }

  async applyPrepared(consumer: string, batch: PreparedBatch, options?: ApplyBatchOptions): Promise<BatchResult> {
    const n = ++this.applied;
    const result = await this.store.applyPrepared(consumer, batch, options);
    await this.afterCommit(n);
    return result;
  }

  applyBatch(): never {
    throw new Error('PreparedProbe: the Ingestor sends prepared batches to a sink that prepares');
  }

  cursor(consumer: string): Promise<number | undefined> {
    return this.store.cursor(consumer);
  }

  syncCleanupFloor(consumer: string) {
    return this.store.syncCleanupFloor(consumer);
  }

  /** Resolves once `n` batches have been prepared. */
  async preparedAtLeast(n: number): Promise<void> {
    while (this.prepared < n) await new Promise((r) => setTimeout(r, 1));
  }
}
