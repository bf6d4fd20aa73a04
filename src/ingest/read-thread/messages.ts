/** What the owning thread and the read thread (worker.ts) say to each other. */

/** The read thread's workerData. */
export interface ReadThreadData {
  /** The journal directory (the read thread opens its own reader). */
  dir: string;
  from: number;
  /** Exclusive; undefined: the journal's durable end when the read thread starts. */
  to: number | undefined;
  /** At most this many records per buffer. */
  maxRecords: number;
  /** At most this many bytes of hashes and payloads per buffer (a larger record goes alone). */
  maxBytes: number;
  /** Buffers the read thread may send before the owning thread has taken them. */
  ahead: number;
}

export type ToReadThread = { type: 'more' } | { type: 'stop' };

export type FromReadThread =
  /** `start`: the `next` of the last record sent before (or ReadThreadData.from): no buffer lost. */
  | { type: 'records'; buffer: ArrayBuffer; count: number; start: number }
  | { type: 'end' }
  /** Reading stopped after the records sent. */
  | { type: 'error'; message: string };
