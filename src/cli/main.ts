#!/usr/bin/env node
/** The `stemedb` command line. Exit codes: 0 ok, 1 corruption, 2 usage, 3 other failures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native/binding.js';
import { EXIT, UsageError, context, describeFailure, stdio, type Io } from './common.js';
import * as journal from './journal-commands.js';
import * as ingestCmds from './ingest-commands.js';
import { backupCommand, restoreCommand } from './backup-commands.js';
import { bench, USAGE as BENCH_USAGE } from './bench.js';

const HELP = `stemedb — a crash-safe write-ahead log with an SQLite ingestor

usage: stemedb <command> [options]    (stemedb <command> --help for details)
       stemedb --version

commands:
  append <dir>        append records from stdin lines or files
  dump <dir>          print records as JSON lines
  inspect <dir>       segments, offsets, sizes, durable watermark, lock holder
  verify <dir>        verify every record (exit 0 clean, 1 corrupt)
  recover <dir>       run recovery with a policy (--policy, --dry-run)
  backup <dir> <dest> copy the journal up to its durable end, beside a running writer
  restore <b> <dest>  make a journal from a backup, up to a record boundary (--to-offset)
  ingest <dir>        ingest into SQLite (--db, --follow)
  query               query the SQLite store (--db, --subject | --hash)
  bench               run the comparative benchmarks and write bench-results/report.md

Commands that print data take --json (one JSON value per line).
exit codes: 0 ok, 1 corruption found, 2 usage error, 3 other failure`;

/** The installed package's version (package.json beside dist/ or src/). */
export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  append: journal.append,
  dump: journal.dump,
  inspect: journal.inspect,
  verify: journal.verify,
  recover: journal.recoverCommand,
  backup: backupCommand,
  restore: restoreCommand,
  ingest: ingestCmds.ingest,
  query: ingestCmds.query,
  bench,
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  context.dir = null;
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(version());
    return EXIT.ok;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return await run(rest, io);
  } catch (err) {
    const { code, message } = describeFailure(err);
    io.err(`stemedb ${command}: ${message}`);
    return code;
  }
}

export { BENCH_USAGE };

const isMain =
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('/stemedb') ||
  process.argv[1]?.endsWith('cli/main.js') ||
  process.argv[1]?.endsWith('cli/main.ts');
if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
