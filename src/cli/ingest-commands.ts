/** CLI commands over the ingest store (SQLite file, or PostgreSQL with a postgres:// URL): ingest, query. */
import { Journal } from '../journal/journal.js';
import { EXIT, UsageError, intFlag, needJournal, progressBar, type Io, parseCommand as parse } from './common.js';
import { toHex } from '../bytes.js';

export const USAGE = {
  ingest:
    'usage: stemedb ingest <dir> --db <file.sqlite | postgres://...> [--follow] [--consumer <name>] [--journal <name>] [--json]\n  Ingests the journal into SQLite or PostgreSQL (exactly once: the cursor commits with the rows). --follow keeps going until Ctrl-C.\n  Several journals into one database: one consumer name and one --journal name per journal (a stable name such as host/service; cleanup compares cursors of the same journal only).',
  query:
    'usage: stemedb query --db <file.sqlite | postgres://...> (--subject <s> [--limit <n>] | --hash <hex>) [--json]\n  Assertions of a subject, or one assertion by content hash with its vote tally.',
};

/** A SQLite file, or PostgreSQL when `db` is a postgres:// URL. */
async function openStore(db: string, readonly: boolean) {
  const { Store, PgStore } = await import('../ingest/index.js');
  return /^postgres(ql)?:\/\//i.test(db) ? PgStore.open(db, { readonly }) : Store.open(db, { readonly });
}

/** Plain JSON for rows holding Buffers (hashes and ids as hex). */
function jsonable(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

export async function ingest(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { db: { type: 'string' }, follow: { type: 'boolean' }, consumer: { type: 'string' }, journal: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.ingest,
  );
  if (values.help) return (io.out(USAGE.ingest), EXIT.ok);
  const dir = needJournal(positionals, USAGE.ingest);
  if (!values.db) throw new UsageError(`--db is required\n${USAGE.ingest}`);
  const { Ingestor } = await import('../ingest/index.js');
  const store = await openStore(values.db as string, false);
  const reader = await Journal.openReader(dir);
  const consumer = (values.consumer as string | undefined) ?? 'default';
  try {
    const start = (await store.cursor(consumer)) ?? reader.firstOffset;
    const bar = await progressBar(io, Math.max(0, reader.durableOffset - start), 'ingest');
    const ingestor = new Ingestor(reader, store, { consumer, journal: values.journal as string | undefined, onBatch: (b) => bar.update(b.cursor - start) });
    let stats;
    if (values.follow) {
      ingestor.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      stats = await ingestor.stop();
    } else {
      stats = await ingestor.catchUp();
    }
    bar.stop();
    if (values.json) io.out(JSON.stringify(stats));
    else
      io.out(
        `ingested ${stats.records} records (${stats.assertions} assertions, ${stats.votes} votes, ${stats.epochs} epochs, ${stats.duplicates} duplicates, ${stats.deadLetters} dead letters); cursor ${stats.cursor}`,
      );
  } finally {
    await reader.close();
    await store.close();
  }
  return EXIT.ok;
}

export async function query(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { db: { type: 'string' }, subject: { type: 'string' }, hash: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.query,
  );
  if (values.help) return (io.out(USAGE.query), EXIT.ok);
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${USAGE.query}`);
  if (!values.db) throw new UsageError(`--db is required\n${USAGE.query}`);
  if ((values.subject === undefined) === (values.hash === undefined)) throw new UsageError(`give exactly one of --subject or --hash\n${USAGE.query}`);
  if (values.hash !== undefined && !/^[0-9a-f]{64}$/i.test(values.hash as string)) throw new UsageError('--hash must be 64 hex digits');
  const limit = intFlag(values.limit as string | undefined, 'limit', 100)!;
  const store = await openStore(values.db as string, true);
  try {
    if (values.subject !== undefined) {
      const rows = await store.assertionsBySubject(values.subject as string, { limit });
      for (const r of rows)
        io.out(
          values.json
            ? JSON.stringify(jsonable(r))
            : `${toHex(r.hash)}  ${r.subject} ${r.predicate} ${JSON.stringify(jsonable(r.object))}  (confidence ${r.confidence}, by ${r.author})`,
        );
      if (!values.json && rows.length === 0) io.out(`no assertions for subject ${JSON.stringify(values.subject)}`);
    } else {
      const a = await store.getAssertion(values.hash as string);
      if (!a) {
        io.err(`no assertion with hash ${values.hash}`);
        return EXIT.failure;
      }
      const tally = await store.tally(values.hash as string);
      io.out(
        values.json
          ? JSON.stringify(jsonable({ ...a, tally }))
          : `${a.subject} ${a.predicate} ${JSON.stringify(jsonable(a.object))}\n  confidence ${a.confidence}, by ${a.author}, offset ${a.offset}\n  votes: ${tally ? `${tally.support} support, ${tally.oppose} oppose, score ${tally.score}` : 'none'}`,
      );
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}
