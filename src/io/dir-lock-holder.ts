/**
 * An OS lock on a journal directory without the addon: node:fs has no flock, so a
 * small child process holds it for us — util-linux `flock(1)` on the directory,
 * waiting on a shell that reads our stdin. It is the same `flock` on the same inode as
 * the addon's lockDir, so wasm and native writers keep each other out, and, unlike the
 * pid files, it cannot be deleted. It ends with us: when this process dies, by any
 * signal, the pipe closes, the shell reads EOF and exits, and flock with it.
 * Linux only (where util-linux is); elsewhere the pid files are all there is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** flock's exit code when the lock is held elsewhere (its --conflict-exit-code). */
const CONFLICT = 75;
/** How long a held lock is waited for before ELOCKED (seconds, as flock takes it). */
const CONFLICT_WAIT_S = 0.5;
const FLOCK_PATHS = ['/usr/bin/flock', '/bin/flock'];
/** How long to wait for the child to report, and for the lock to go on release. */
const START_MS = 10_000;
const RELEASE_MS = 2_000;

export interface DirLockHolder {
  /** False once the holder process has gone (killed by someone): the lock is gone too. */
  readonly held: () => boolean;
  /** Releases the lock; on return another process can take it. */
  readonly release: () => void;
}

export function flockBinary(): string | null {
  if (process.platform !== 'linux') return null;
  return FLOCK_PATHS.find((p) => existsSync(p)) ?? null;
}

/**
 * Takes the directory's flock in a holder process. Resolves to null when there is no
 * flock(1) here; rejects with code 'ELOCKED' when another process holds the lock.
 */
export function holdDirLock(dir: string): Promise<DirLockHolder | null> {
  const bin = flockBinary();
  if (!bin) return Promise.resolve(null);
  // --close: the shell does not inherit the locked descriptor, so only flock holds it
  // and killing flock releases it at once. --wait: a writer SIGKILLed just now leaves
  // its holder a few milliseconds to see EOF and exit; a live holder is ELOCKED after it.
  const child = spawn(bin, ['--wait', String(CONFLICT_WAIT_S), '--conflict-exit-code', String(CONFLICT), '--close', dir, 'sh', '-c', 'echo locked; read _'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`flock on ${dir}: no answer from ${bin} in ${START_MS} ms`)), START_MS);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('locked')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      // The holder must not keep this process alive, and its pipes stay open (closing
      // stdin releases the lock).
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
      resolve(holderOf(child));
    });
    child.on('error', (e) => fail(e));
    child.on('exit', (code) => {
      if (code === CONFLICT) fail(Object.assign(new Error(`${dir} is locked by another process (flock)`), { code: 'ELOCKED' }));
      else fail(new Error(`flock on ${dir} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

function holderOf(child: ChildProcess): DirLockHolder {
  let released = false;
  return {
    held: () => !released && child.exitCode === null && child.signalCode === null && !gone(child.pid!),
    release() {
      if (released) return;
      released = true;
      child.stdin!.destroy(); // the shell reads EOF and exits
      child.kill('SIGKILL'); // and flock, which holds the lock, goes now
      // Synchronous callers (close, then open again) need the lock gone on return: the
      // kernel drops it when flock exits, i.e. once it is a zombie or reaped.
      const until = Date.now() + RELEASE_MS;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!gone(child.pid!) && Date.now() < until) Atomics.wait(nap, 0, 0, 1);
    },
  };
}

/** True when the process has exited (a zombie holds no files) or no longer exists. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return true;
  }
}
