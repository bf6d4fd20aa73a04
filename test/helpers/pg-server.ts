/**
 * A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary
 * directory, listening on a Unix socket in that directory only (no TCP), with
 * trust auth for a 'stemedb' superuser. initdb refuses to run as root, so when
 * the tests run as root the server runs as the 'postgres' (else 'nobody') user
 * through runuser.
 *
 * `findPgBinaries()` returns null when initdb/pg_ctl are missing; test files
 * then print one `skipped: ...` line (SKIP_HINT) and register no tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SKIP_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) not found; install them to run these tests (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), or put their bin directory on PATH / in STEMEDB_PG_BIN';

export interface PgBinaries {
  initdb: string;
  pgCtl: string;
}

export function findPgBinaries(): PgBinaries | null {
  const dirs = [process.env.STEMEDB_PG_BIN, ...(process.env.PATH ?? '').split(path.delimiter)].filter((d): d is string => !!d);
  // Debian keeps the server binaries off PATH, one directory per major version: newest first.
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const v of fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(debian, v, 'bin'));
  }
  for (const d of dirs) {
    const initdb = path.join(d, 'initdb');
    const pgCtl = path.join(d, 'pg_ctl');
    if (fs.existsSync(initdb) && fs.existsSync(pgCtl)) return { initdb, pgCtl };
  }
  return null;
}

/** Prints the skip line and returns true when the binaries are missing. */
export function skipWithoutPg(what: string): boolean {
  if (findPgBinaries()) return false;
  console.log(`skipped: ${what}: ${SKIP_HINT}`);
  return true;
}

export class PgServer {
  private stopped = false;
  private constructor(
    readonly dir: string,
    private readonly bins: PgBinaries,
    private readonly user: string | null,
    /** Connection URL of the 'postgres' database as the 'stemedb' superuser. */
    readonly url: string,
    /** Server options: socket in the temp dir only, no TCP. */
    private readonly serverOptions: string,
  ) {}

  /**
   * Starts a fresh server (a few seconds). `fsync` defaults to off: test servers are thrown away
   * and their own durability is not what the tests check (benches turn it on).
   */
  static async start(options: { fsync?: boolean } = {}): Promise<PgServer> {
    const bins = findPgBinaries();
    if (!bins) throw new Error(SKIP_HINT);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stemedb-pg-'));
    const user = process.getuid?.() === 0 ? serviceUser() : null;
    if (user) execFileSync('chown', [user, dir]);
    const data = path.join(dir, 'data');
    const opts = `-k ${dir} -c listen_addresses='' -c fsync=${options.fsync ? 'on' : 'off'} -c max_connections=50 -c shared_buffers=${options.fsync ? '128MB' : '16MB'}`;
    const server = new PgServer(dir, bins, user, `postgresql://stemedb@${encodeURIComponent(dir)}/postgres`, opts);
    server.run(bins.initdb, ['-D', data, '-U', 'stemedb', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    server.restartServer();
    return server;
  }

  /** The connection URL of database `name` (created if needed, empty if fresh). */
  async database(name: string): Promise<string> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
    return this.url.replace(/\/postgres$/, `/${name}`);
  }

  /** Stops the server immediately (`mode`: 'fast' rolls back sessions; 'immediate' is a crash). */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run(this.bins.pgCtl, ['-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /** Starts it (again, after stopServer()). */
  restartServer(): void {
    this.run(this.bins.pgCtl, ['-D', path.join(this.dir, 'data'), '-o', this.serverOptions, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', 'start']);
  }

  /** Stops the server and removes its directory. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.stopServer('immediate');
    } catch {
      // already down
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private run(bin: string, args: string[]): void {
    const r = this.user ? spawnSync('runuser', ['-u', this.user, '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
    if (r.status !== 0) {
      let log = '';
      try {
        log = fs.readFileSync(path.join(this.dir, 'log'), 'utf8').slice(-2000);
      } catch {}
      throw new Error(`${path.basename(bin)} ${args.at(-1)} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}\n${log}`);
    }
  }
}

/** An unprivileged account to run the server as when we are root. */
function serviceUser(): string {
  for (const u of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', u]).status === 0) return u;
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists: initdb refuses to run as root');
}
