/** Spawning TypeScript children (real processes) for lock, follower and crash tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const helpers = dirname(fileURLToPath(import.meta.url));

/** stdin 'pipe' lets a test talk to the child (a stop request: Windows never runs SIGTERM handlers). */
export function spawnTs(script: string, args: string[], env: Record<string, string> = {}, stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(helpers, script), ...args], {
    stdio: [stdin, 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

/** Calls onLine for each stdout line; resolves when the child exits (with code and signal). */
export function lines(child: ChildProcess, onLine: (line: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', onLine);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves with the first stdout line matching `re`. */
export function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      if (re.test(l)) {
        rl.close();
        resolve(l);
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing ${re}`)));
  });
}
