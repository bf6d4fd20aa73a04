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

export type { JournalIO, WatermarkWrite } from './types.js';
export { createFsIO } from './fs.js';
