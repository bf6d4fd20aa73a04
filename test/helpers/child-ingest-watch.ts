/**
 * Parent side of child-ingest.ts: one line reader per child (several readline
 * interfaces on one stdout would steal lines from each other), waits on lines
 * by predicate, and the child's exit.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Watched {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line (already seen or future) matching `re`; rejects if the child exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Called for each new line (after it is recorded). */
  onLine(fn: (line: string) => void): void;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function watch(child: ChildProcess): Watched {
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitWaiters: Array<() => void> = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  // 'close' comes after stdout has ended: every line is in by then.
  let closed = false;
  child.on('close', () => {
    closed = true;
    for (const w of exitWaiters.splice(0)) w();
  });
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    lines.push(line);
    for (const fn of [...listeners]) fn(line);
  });
  return {
    child,
    lines,
    exited,
    onLine: (fn) => listeners.push(fn),
    waitFor(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        for (const l of lines) {
          const m = re.exec(l);
          if (m) return resolve(m);
        }
        if (closed) return reject(new Error(`child exited (${JSON.stringify(exitInfo)}) before printing ${re}; last lines: ${lines.slice(-3).join(' | ')}`));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = () => {
          clearTimeout(timer);
          const i = listeners.indexOf(fn);
          if (i >= 0) listeners.splice(i, 1);
          const w = exitWaiters.indexOf(onExit);
          if (w >= 0) exitWaiters.splice(w, 1);
        };
        const fn = (l: string) => {
          const m = re.exec(l);
          if (m) {
            done();
            resolve(m);
          }
        };
        const onExit = () => {
          done();
          reject(new Error(`child exited (${JSON.stringify(exitInfo)}) before printing ${re}; last lines: ${lines.slice(-3).join(' | ')}`));
        };
        timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${ms} ms waiting for ${re}; last lines: ${lines.slice(-3).join(' | ')}`));
        }, ms);
        listeners.push(fn);
        exitWaiters.push(onExit);
      });
    },
  };
}
