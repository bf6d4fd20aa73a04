/** Which package manager installed stemedb, to name the right command in a message. */
import { sep } from 'node:path';
import { packageRoot } from './native/binding.js';

/** pnpm keeps every package under node_modules/.pnpm/. */
export function installedByPnpm(path: string = packageRoot): boolean {
  return path.includes(`${sep}.pnpm${sep}`);
}
