/**
 * Picks the SQLite driver a Store runs on and opens the file with it.
 *
 * - Node: better-sqlite3 (an optional peer dependency) when it is installed and
 *   its binary loads, else the built-in node:sqlite (Node >= 22.13, or 22.5 with
 *   --experimental-sqlite).
 * - Bun: bun:sqlite (Bun cannot load better-sqlite3).
 * - Deno: node:sqlite (Deno cannot load better-sqlite3, a V8-API addon).
 *
 * Without any of them Store.open throws StoreError (a StemeError) SQLITE_UNAVAILABLE naming
 * the command that fixes it. Drivers are loaded on first use, so the journal
 * (and importing the package) never needs one.
 */
import { createRequire } from 'node:module';
import { installedByPnpm } from '../../package-manager.js';
import { StoreError } from '../errors.js';
import { CompatDatabase, type RawDatabase } from './compat.js';
import type { SqliteDatabase, SqliteDriverName } from './types.js';

const requireFromHere = createRequire(import.meta.url);

export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['better-sqlite3', 'node:sqlite', 'bun:sqlite'];

interface OpenSqliteOptions {
  readonly: boolean;
  /** Busy timeout in ms. */
  timeout: number;
  /** Only this driver; default: the first usable one for the runtime. */
  driver?: SqliteDriverName | undefined;
}

type Opener = (path: string, options: OpenSqliteOptions) => SqliteDatabase;
/** A usable driver's opener, or why it is not usable. */
type Probe = { open: Opener } | { why: string; fix?: string };

const isBun = typeof (process.versions as Record<string, string | undefined>).bun === 'string';
const isDeno = typeof (process.versions as Record<string, string | undefined>).deno === 'string';

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function probeBetterSqlite(): Probe {
  let resolved: string;
  try {
    resolved = requireFromHere.resolve('better-sqlite3');
  } catch {
    return {
      why: 'better-sqlite3 is not installed (an optional peer dependency of stemedb)',
      fix: installedByPnpm() ? 'pnpm add better-sqlite3' : 'npm install better-sqlite3',
    };
  }
  const pnpm = installedByPnpm(resolved);
  try {
    type Ctor = new (path: string, options: object) => SqliteDatabase;
    const Database = requireFromHere(resolved) as Ctor;
    // The binary is loaded by the first constructor call, not by require().
    new Database(':memory:', {}).close();
    return {
      open: (path, o) => new Database(path, { readonly: o.readonly, fileMustExist: o.readonly, timeout: o.timeout }),
    };
  } catch (err) {
    return {
      why: `better-sqlite3 is installed but its native binary does not load (${firstLine(err)}); its install script probably never ran (--ignore-scripts, or pnpm 10, which runs no dependency build scripts until approved)`,
      fix: pnpm ? 'pnpm approve-builds (select better-sqlite3), then pnpm rebuild better-sqlite3' : 'npm rebuild better-sqlite3',
    };
  }
}

/** Opens through the runtime's own driver, then sets what better-sqlite3 takes as options. */
function compatOpener(create: (path: string, readonly: boolean) => RawDatabase): Opener {
  return (path, o) => {
    const db = new CompatDatabase(create(path, o.readonly));
    try {
      db.pragma(`busy_timeout = ${Math.trunc(o.timeout)}`);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  };
}

function probeNodeSqlite(): Probe {
  let mod: { DatabaseSync: new (path: string, options: object) => RawDatabase };
  try {
    mod = requireFromHere('node:sqlite') as typeof mod;
  } catch (err) {
    return { why: `node:sqlite is not available in Node ${process.versions.node} (${firstLine(err)}; it is built in from Node 22.13)` };
  }
  return { open: compatOpener((path, readonly) => new mod.DatabaseSync(path, { readOnly: readonly })) };
}

function probeBunSqlite(): Probe {
  if (!isBun) return { why: 'bun:sqlite exists only on Bun' };
  const { Database } = requireFromHere('bun:sqlite') as { Database: new (path: string, options: object) => RawDatabase };
  return { open: compatOpener((path, readonly) => new Database(path, readonly ? { readonly: true } : { create: true, readwrite: true })) };
}

const probes: Record<SqliteDriverName, () => Probe> = {
  'better-sqlite3': probeBetterSqlite,
  'node:sqlite': probeNodeSqlite,
  'bun:sqlite': probeBunSqlite,
};
const probed = new Map<SqliteDriverName, Probe>();

/** The drivers tried, in order, on this runtime. */
function candidates(): SqliteDriverName[] {
  if (isBun) return ['bun:sqlite'];
  if (isDeno) return ['node:sqlite'];
  return ['better-sqlite3', 'node:sqlite'];
}

/** Opens `path` on the first usable driver (or on `options.driver`). */
export function openSqlite(path: string, options: OpenSqliteOptions): { db: SqliteDatabase; driver: SqliteDriverName } {
  const order = options.driver === undefined ? candidates() : [options.driver];
  const failures: { why: string; fix?: string }[] = [];
  for (const name of order) {
    let probe = probed.get(name);
    if (probe === undefined) {
      probe = probes[name]();
      probed.set(name, probe);
    }
    if ('open' in probe) return { db: probe.open(path, options), driver: name };
    failures.push(probe);
  }
  const fixes = failures.flatMap((f) => (f.fix ? [f.fix] : []));
  const runtime = isBun ? `Bun ${process.versions.bun}` : isDeno ? `Deno ${process.versions.deno}` : `Node ${process.versions.node}`;
  throw new StoreError(
    'SQLITE_UNAVAILABLE',
    `Store.open: no usable SQLite driver on ${runtime}: ${failures.map((f) => f.why).join('; ')}.` +
      (fixes.length ? ` Fix: ${fixes.join(', or ')}` : '') +
      (options.driver === undefined && !isBun && !isDeno
        ? ' (or run on Node >= 22.13, whose built-in node:sqlite stemedb uses when better-sqlite3 is absent).'
        : '.'),
  );
}
