/** The default JournalIO: the addon's when it loads, else plain node:fs. */
import { loadBinding } from '../native/binding.js';
import { createFsIO } from './fs.js';
import { createNativeIO } from './native.js';
import type { JournalIO } from './types.js';

let cached: JournalIO | undefined;

export function defaultIO(): JournalIO {
  if (!cached) {
    const b = loadBinding();
    cached = b ? createNativeIO(b) : createFsIO();
  }
  return cached;
}

/**
 * How long a journal's write loop polls for its next job before it gives its libuv pool
 * thread back (see NativeIOOptions): enough for an appender that awaits each append to
 * submit the next one (~10 µs here), short enough to cost little CPU when writes stop.
 */
const WRITER_SPIN_MICROS = 100;
/**
 * How long it polls where jobs have recently come that soon: appendBatch() of 1000 small
 * records lays out and seals its next batch in ~150 µs, so with 100 µs alone it paid a
 * thread wake-up per batch (+12% rate without, in a paired A/B here). Twice the recent
 * gap is polled, so a journal written every few milliseconds still polls only 100 µs.
 */
const WRITER_MAX_SPIN_MICROS = 500;

/**
 * The IO of one writing journal: defaultIO()'s, but (with the addon) its writes run in
 * a write loop of its own on the libuv pool; release() ends it.
 */
export function writerIO(): JournalIO {
  const b = loadBinding();
  return b ? createNativeIO(b, { writerSpinMicros: WRITER_SPIN_MICROS, writerMaxSpinMicros: WRITER_MAX_SPIN_MICROS }) : defaultIO();
}

export type { JournalIO, PendingRead, WatermarkWrite } from './types.js';
export { createFsIO } from './fs.js';
