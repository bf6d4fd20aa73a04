/** CLI plumbing: typed usage errors, output helpers, progress bars only on a TTY. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CorruptionError, SegmentFormatError, StemeError, describeCorruption, type CorruptionRemedy } from '../errors.js';

export const EXIT = { ok: 0, corrupt: 1, usage: 2, failure: 3 } as const;

/** A command line the CLI cannot run (exit code 2). */
export class UsageError extends StemeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
}

export const stdio: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
};

export function intFlag(value: string | undefined, name: string, dflt?: number): number | undefined {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** The journal directory the running command works on, for messages that name commands. */
export const context: { dir: string | null } = { dir: null };

export function needDir(positionals: string[], usage: string): string {
  const dir = positionals[0];
  if (!dir) throw new UsageError(`missing <dir>\n${usage}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}\n${usage}`);
  context.dir = dir;
  return dir;
}

/** A directory that holds no journal, said the same way by every command that reads one. */
class NoJournalError extends StemeError {
  constructor(dir: string, why: string) {
    super('NO_JOURNAL', `no journal in ${dir}: ${why}`);
  }
}

/** `needDir` for commands that read an existing journal: the directory must hold segments. */
export function needJournal(positionals: string[], usage: string): string {
  const dir = needDir(positionals, usage);
  if (!existsSync(dir)) throw new NoJournalError(dir, 'the directory does not exist');
  if (!statSync(dir).isDirectory()) throw new NoJournalError(dir, 'it is not a directory');
  if (!readdirSync(dir).some((f) => f.endsWith('.wal')))
    throw new NoJournalError(dir, 'the directory holds no segment files (*.wal); create one with `stemedb append`');
  return dir;
}

const MIB = 1024 * 1024;

/** "12.5/40.0 MiB | 31.2 MiB/s | ETA 0:01": progress over `total` bytes after `elapsedMs`. */
function progressText(done: number, total: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const left = rate > 0 ? Math.ceil((total - done) / rate) : null;
  const eta = left === null ? '--:--' : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return `${(done / MIB).toFixed(1)}/${(total / MIB).toFixed(1)} MiB | ${(rate / MIB).toFixed(1)} MiB/s | ETA ${eta}`;
}

/** A progress bar over `total` bytes on stderr when it is a terminal; nothing otherwise (pipes and CI stay clean). */
export async function progressBar(io: Io, total: number, label: string): Promise<{ update(n: number): void; stop(): void }> {
  if (!io.isTTY || total <= 0) return { update() {}, stop() {} };
  const { default: cliProgress } = await import('cli-progress');
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: (options, params) => {
        const barText = cliProgress.Format.BarFormat(params.progress, options);
        return `${label} [${barText}] ${Math.floor(params.progress * 100)}% | ${progressText(params.value, params.total, Date.now() - started)}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (n) => bar.update(Math.min(n, total)), stop: () => bar.stop() };
}

const CLI_REMEDY: Record<CorruptionRemedy | 'read', (dir: string) => string> = {
  'choose-policy': (dir) =>
    `see what each policy would keep: stemedb recover ${dir} --policy truncate --dry-run (or --policy salvage --dry-run), then run the one you choose without --dry-run`,
  'accept-loss': (dir) => `to accept the loss: stemedb recover ${dir} --policy truncate (add --dry-run to see it first)`,
  read: (dir) => `check the whole journal: stemedb verify ${dir}; see what recovery would keep: stemedb recover ${dir} --policy salvage --dry-run`,
};

/** Maps an error to an exit code and a one-line message. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  // A damaged segment header: its message names the file and what is wrong with it.
  if (err instanceof SegmentFormatError) return { code: EXIT.corrupt, message: `corrupt: ${err.message}` };
  if (err instanceof CorruptionError) {
    // The API's message names API calls; on the command line, name the commands.
    const remedy = context.dir === null ? '' : `\n  ${CLI_REMEDY[err.remedy ?? 'read'](shellWord(context.dir))}`;
    return { code: EXIT.corrupt, message: `corrupt: ${describeCorruption(err.segment, err.position, err.reason, err.detail)}${remedy}` };
  }
  if (err instanceof NoJournalError) return { code: EXIT.failure, message: err.message };
  const e = err as { code?: string; message?: string };
  return { code: EXIT.failure, message: `error${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(err)}` };
}

/** `dir` as one shell word (quoted only when it needs to be), for commands a user can paste. */
function shellWord(dir: string): string {
  return /^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`;
}

interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** parseArgs with --help/-h added, strict, and bad flags turned into usage errors. */
export function parseCommand(args: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string): ParsedArgs {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}
