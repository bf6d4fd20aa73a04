/**
 * An OS lock on a journal directory without the addon: node:fs has no flock, so a
 * small child process holds it for us — util-linux `flock(1)` on the directory,
 * waiting on a shell that reads our stdin. It is the same `flock` on the same inode as
 * the addon's lockDir, so wasm and native writers keep each other out, and, unlike the
 * pid files, it cannot be deleted. It ends with us: when this process dies, by any
 * signal, the pipe closes, the shell reads EOF and exits, and flock with it.
 * Where there is no flock(1) (macOS, BSDs, Linux without util-linux), perl takes the
 * same flock(2); with neither (Windows), the pid files are all there is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { StemeError } from '../errors.js';

/** flock's exit code when the lock is held elsewhere (its --conflict-exit-code). */
const CONFLICT = 75;
/** How long a held lock is waited for before ELOCKED (seconds, as flock takes it). */
const CONFLICT_WAIT_S = 0.5;
const FLOCK_PATHS = ['/usr/bin/flock', '/bin/flock'];
const PERL_PATHS = ['/usr/bin/perl', '/bin/perl', '/usr/local/bin/perl'];
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

/** perl, which macOS and most Unix systems have: the same flock(2) where there is no flock(1). */
export function perlBinary(): string | null {
  if (process.platform === 'win32') return null;
  return PERL_PATHS.find((p) => existsSync(p)) ?? null;
}

/** Holds the lock, prints "locked", waits for EOF on stdin; exit CONFLICT if held elsewhere for CONFLICT_WAIT_S. */
const PERL_HOLDER = `use Fcntl qw(:flock); use Time::HiRes qw(time sleep);
open(my $fh, '<', $ARGV[0]) or die "open $ARGV[0]: $!\\n";
my $t = time; until (flock($fh, LOCK_EX | LOCK_NB)) { exit ${CONFLICT} if time - $t >= ${CONFLICT_WAIT_S}; sleep 0.02 }
$| = 1; print "locked\\n"; my $x = <STDIN>;`;

export type HolderKind = 'flock' | 'perl';

/** The holder this machine can run: flock(1) on Linux, else perl; null when neither. */
function holderKind(): HolderKind | null {
  if (flockBinary()) return 'flock';
  if (perlBinary()) return 'perl';
  return null;
}

/**
 * Takes the directory's flock in a holder process. Resolves to null when no holder can
 * run here; rejects with code 'ELOCKED' when another process holds the lock, 'LOCK_FAILED'
 * when the holder did not start or answer.
 */
export function holdDirLock(dir: string, kind: HolderKind | null = holderKind()): Promise<DirLockHolder | null> {
  if (kind === null) return Promise.resolve(null);
  const bin = kind === 'flock' ? flockBinary() : perlBinary();
  if (!bin) return Promise.resolve(null);
  // flock(1) --close: the shell does not inherit the locked descriptor, so only flock holds
  // it and killing flock releases it at once. --wait: a writer SIGKILLed just now leaves
  // its holder a few milliseconds to see EOF and exit; a live holder is ELOCKED after it.
  // perl holds the descriptor itself, so killing it releases the lock too.
  const args =
    kind === 'flock'
      ? ['--wait', String(CONFLICT_WAIT_S), '--conflict-exit-code', String(CONFLICT), '--close', dir, 'sh', '-c', 'echo locked; read _']
      : ['-e', PERL_HOLDER, dir];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new StemeError('LOCK_FAILED', `flock on ${dir}: no answer from ${bin} in ${START_MS} ms`)), START_MS);
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
      if (code === CONFLICT) fail(new StemeError('ELOCKED', `${dir} is locked by another process (flock)`));
      else fail(new StemeError('LOCK_FAILED', `flock on ${dir} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

function holderOf(child: ChildProcess): DirLockHolder {
  let released = false;
  return {
    held: () => !released && !gone(child),
    release() {
      if (released) return;
      released = true;
      child.stdin!.destroy(); // the shell reads EOF and exits
      child.kill('SIGKILL'); // and flock, which holds the lock, goes now
      // Synchronous callers (close, then open again) need the lock gone on return: the
      // kernel drops it when flock exits, i.e. once it is a zombie or reaped.
      const until = Date.now() + RELEASE_MS;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!gone(child) && Date.now() < until) Atomics.wait(nap, 0, 0, 1);
    },
  };
}

/**
 * True when the holder has exited (a zombie holds no files) or no longer exists: read from
 * /proc where there is one (at once), else from the exit Node has seen (an event later).
 */
function gone(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    return /^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return true;
  }
}
