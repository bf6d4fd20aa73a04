/** CLI plumbing: typed usage errors, output helpers, progress bars only on a TTY. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CorruptionError } from '../errors.js';

export const EXIT = { ok: 0, corrupt: 1, usage: 2, failure: 3 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
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

export function needDir(positionals: string[], usage: string): string {
  const dir = positionals[0];
  if (!dir) throw new UsageError(`missing <dir>\n${usage}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}\n${usage}`);
  return dir;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A progress bar on stderr when it is a terminal; nothing otherwise (pipes and CI stay clean). */
export async function progressBar(io: Io, total: number, label: string): Promise<{ update(n: number): void; stop(): void }> {
  if (!io.isTTY || total <= 0) return { update() {}, stop() {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (n) => bar.update(Math.min(n, total)), stop: () => bar.stop() };
}

/** Maps an error to an exit code and a one-line message. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof CorruptionError) return { code: EXIT.corrupt, message: `corrupt: ${err.message}` };
  const e = err as { code?: string; message?: string };
  if (e?.code === 'BAD_SEGMENT') return { code: EXIT.corrupt, message: `corrupt: ${e.message}` };
  return { code: EXIT.failure, message: `error${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(err)}` };
}

export interface ParsedArgs {
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
