/** CLI commands: backup (from outside, beside a running writer or none) and restore. */
import { backup } from '../journal/backup.js';
import { restore } from '../journal/restore.js';
import { EXIT, UsageError, intFlag, needJournal, type Io, parseCommand as parse } from './common.js';

/** --max-bytes-per-second: a positive integer, or Infinity for no pacing. */
function rateFlag(value: string | undefined): number | undefined {
  if (value === undefined || value === 'Infinity') return value === undefined ? undefined : Infinity;
  const n = intFlag(value, 'max-bytes-per-second');
  if (n === 0) throw new UsageError('--max-bytes-per-second must be > 0 (Infinity: no limit), got "0"');
  return n;
}

export const USAGE = {
  backup:
    'usage: stemedb backup <dir> <dest> [--no-link] [--max-bytes-per-second <n>|Infinity] [--json]\n  Copies the journal up to its durable watermark into <dest> (new or empty), beside a running\n  writer or none; takes no lock. Sealed segments are hard-linked where possible (--no-link copies).\n  The copy is paced (default 32 MiB/s) so a running writer keeps its throughput; with no writer\n  running, --max-bytes-per-second Infinity copies as fast as the disk goes.',
  restore:
    "usage: stemedb restore <backup> <dest> [--to-offset <n>] [--json]\n  Verifies the backup and makes a journal in <dest> (new or empty) ending at record boundary <n>\n  (default: the backup's end). An <n> that is not a boundary is refused; nothing is written.",
};

function twoDirs(positionals: string[], usage: string): [string, string] {
  if (positionals.length !== 2) throw new UsageError(`expected <dir> and <dest>, got ${positionals.length} argument(s)\n${usage}`);
  const source = needJournal(positionals.slice(0, 1), usage);
  return [source, positionals[1]!];
}

export async function backupCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'no-link': { type: 'boolean' }, 'max-bytes-per-second': { type: 'string' }, json: { type: 'boolean' } },
    USAGE.backup,
  );
  if (values.help) return (io.out(USAGE.backup), EXIT.ok);
  const [dir, dest] = twoDirs(positionals, USAGE.backup);
  const maxBytesPerSecond = rateFlag(values['max-bytes-per-second'] as string | undefined);
  const r = await backup(dir, dest, { link: !values['no-link'], ...(maxBytesPerSecond === undefined ? {} : { maxBytesPerSecond }) });
  if (values.json) io.out(JSON.stringify(r));
  else
    io.out(
      `backup of ${dir} in ${r.dest}: offsets ${r.firstOffset} to ${r.endOffset}, ${r.segments} segments (${r.linked} hard-linked), ${r.bytesCopied} bytes copied`,
    );
  return EXIT.ok;
}

export async function restoreCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { 'to-offset': { type: 'string' }, json: { type: 'boolean' } }, USAGE.restore);
  if (values.help) return (io.out(USAGE.restore), EXIT.ok);
  const [dir, dest] = twoDirs(positionals, USAGE.restore);
  const toOffset = intFlag(values['to-offset'] as string | undefined, 'to-offset');
  const r = await restore(dir, dest, toOffset === undefined ? {} : { toOffset });
  if (values.json) io.out(JSON.stringify(r));
  else
    io.out(
      `restored ${dir} into ${r.dest}: offsets ${r.firstOffset} to ${r.endOffset}, ${r.segments} segments${r.bytesLeftOut > 0 ? ` (${r.bytesLeftOut} bytes after ${r.endOffset} left out)` : ''}`,
    );
  return EXIT.ok;
}
