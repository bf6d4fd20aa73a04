/**
 * When the watermark file is fsynced. Group commit rewrites the watermark after every sync
 * but does not sync it (that would double the syncs). Left unsynced, a power loss could leave
 * it far behind the data, and recovery would take damage above it for a torn tail. So it is
 * fsynced in the background at most every `everyMs`, that long after it changed: on disk it
 * trails the durable end by at most about that much time.
 */
import type { JournalIO } from '../../io/types.js';

/** What the sync needs of its group commit. */
export interface WatermarkOwner {
  /** No sync once the journal failed. */
  readonly failed: unknown;
  /** No new timer once it is closing (close syncs it last). */
  readonly closed: boolean;
  /** A failed fsync fail-stops the journal. */
  failStop(err: unknown): unknown;
}

export class WatermarkSync {
  #timer: NodeJS.Timeout | null = null;
  #dirty = false;
  #lastSync = performance.now();
  #syncing: Promise<void> | null = null;

  /** everyMs 0: synced only at open and close. */
  constructor(
    readonly io: JournalIO,
    readonly fd: number,
    readonly everyMs: number,
    readonly owner: WatermarkOwner,
  ) {}

  /** The watermark was rewritten: a sync is due within everyMs. */
  changed(): void {
    this.#dirty = true;
    if (this.everyMs <= 0 || this.#timer || this.#syncing) return;
    const wait = Math.max(0, this.#lastSync + this.everyMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.sync();
    }, wait);
    this.#timer.unref();
  }

  /** Fsyncs the watermark file if it changed since its last sync (also at close). An error fail-stops. */
  sync(): Promise<void> {
    if (this.#syncing) return this.#syncing.then(() => this.sync());
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#dirty || this.owner.failed) return Promise.resolve();
    this.#dirty = false;
    this.#lastSync = performance.now();
    this.#syncing = this.io.fsync(this.fd).then(
      () => {
        this.#syncing = null;
        if (this.#dirty && !this.owner.closed) this.changed();
      },
      (err: unknown) => {
        this.#syncing = null;
        this.owner.failStop(err);
      },
    );
    return this.#syncing;
  }
}
