// The running Node's own headers, when installed next to it (e.g. /usr/include/node
// from Debian's nodejs): node-gyp cannot download them on machines without access
// to nodejs.org, and the zig cross build needs them for every target.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The prefix whose include/node matches this Node's version ('' when none does). */
export function localNodedir() {
  for (const dir of [join(dirname(process.execPath), '..'), '/usr', '/usr/local']) {
    const h = join(dir, 'include', 'node', 'node_version.h');
    if (!existsSync(h) || !existsSync(join(dir, 'include', 'node', 'node_api.h'))) continue;
    const text = readFileSync(h, 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`#define NODE_${k}_VERSION (\\d+)`).exec(text)?.[1]).join('.');
    if (v === process.versions.node) return dir;
  }
  return '';
}

/** include/node of localNodedir() ('' when none). */
export function nodeIncludeDir() {
  const dir = localNodedir();
  return dir ? join(dir, 'include', 'node') : '';
}
