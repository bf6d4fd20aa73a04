/**
 * Bench data directories under os.tmpdir(), removed afterwards — also when a
 * bench throws, and on process exit or Ctrl-C for any still registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      removeAll();
      process.kill(process.pid, sig);
    });
  }
}

/** A fresh empty directory under `parent` (os.tmpdir()); call removeTempDir (or rely on exit) to delete it. */
export function makeTempDir(label: string, parent: string = tmpdir()): string {
  hook();
  const dir = mkdtempSync(join(parent, `stemedb-bench-${label}-`));
  live.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Runs fn with a fresh temp directory and removes it afterwards, whatever happens. */
export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = makeTempDir(label);
  try {
    return await fn(dir);
  } finally {
    removeTempDir(dir);
  }
}
