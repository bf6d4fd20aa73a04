/** CLI commands over a journal: append, dump, inspect, verify, recover. */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Journal } from '../journal/journal.js';
import { recover } from '../journal/recovery/recover.js';
import { RECOVERY_POLICIES } from '../journal/recovery/types.js';
import { backendInfo } from '../hash/index.js';
import { CorruptionError, SegmentFormatError } from '../errors.js';
import { LOCK_FILE } from '../journal/lock.js';
import { dataEnd } from '../format/segment.js';
import { EXIT, UsageError, intFlag, needDir, needJournal, oneOf, progressBar, type Io, parseCommand as parse } from './common.js';
import { toHex } from '../bytes.js';

export const USAGE = {
  append:
    'usage: stemedb append <dir> [--file <path>]... [--durability group|each|none] [--json]\n  Appends one record per stdin line (without the newline), or one per --file.',
  dump: 'usage: stemedb dump <dir> [--from <offset>] [--to <offset>] [--limit <n>] [--encoding hex|base64|utf8] [--json]\n  Prints records as JSON lines {offset,next,length,hash,payload} (with or without --json). Takes no lock.',
  inspect: 'usage: stemedb inspect <dir> [--json]\n  Segments, offsets, sizes, durable watermark and lock holder.',
  verify: 'usage: stemedb verify <dir> [--json]\n  Verifies every record of every segment. Exit 0 clean, 1 corrupt.',
  recover: `usage: stemedb recover <dir> --policy ${RECOVERY_POLICIES.join('|')} [--dry-run] [--json]\n  Runs recovery with a policy (see docs/durability.md).`,
};

export async function append(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { file: { type: 'string', multiple: true }, durability: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.append,
  );
  if (values.help) return (io.out(USAGE.append), EXIT.ok);
  const dir = needDir(positionals, USAGE.append);
  const durability = oneOf(values.durability as string | undefined, 'durability', ['group', 'each', 'none'] as const, 'group');
  const j = await Journal.open(dir, { durability });
  try {
    const show = (r: { offset: number; next: number; hash: Uint8Array }, length: number, source: string) =>
      io.out(
        values.json
          ? JSON.stringify({ offset: r.offset, next: r.next, length, hash: toHex(r.hash), source })
          : `${r.offset}\t${length}\t${toHex(r.hash)}\t${source}`,
      );
    const files = (values.file as string[] | undefined) ?? [];
    if (files.length > 0) {
      const payloads = files.map((f) => new Uint8Array(readFileSync(f)));
      const rs = await j.appendBatch(payloads);
      rs.forEach((r, i) => show(r, payloads[i]!.length, files[i]!));
    } else {
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let pending: Array<Promise<void>> = [];
      let n = 0;
      for await (const line of rl) {
        const payload = new TextEncoder().encode(line);
        const lineNo = ++n;
        pending.push(j.append(payload).then((r) => show(r, payload.length, `stdin:${lineNo}`)));
        if (pending.length >= 4096) {
          await Promise.all(pending);
          pending = [];
        }
      }
      await Promise.all(pending);
    }
  } finally {
    await j.close();
  }
  return EXIT.ok;
}

export async function dump(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' }, encoding: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.dump,
  );
  if (values.help) return (io.out(USAGE.dump), EXIT.ok);
  const dir = needJournal(positionals, USAGE.dump);
  const encoding = oneOf(values.encoding as string | undefined, 'encoding', ['hex', 'base64', 'utf8'] as const, 'hex');
  const from = intFlag(values.from as string | undefined, 'from');
  const to = intFlag(values.to as string | undefined, 'to');
  const limit = intFlag(values.limit as string | undefined, 'limit', Number.MAX_SAFE_INTEGER)!;
  const reader = await Journal.openReader(dir);
  try {
    let n = 0;
    dumping: for await (const batch of reader.iterateBatches({ ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })) {
      for (const r of batch) {
        if (n++ >= limit) break dumping;
        const payload = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength).toString(encoding);
        io.out(JSON.stringify({ offset: r.offset, next: r.next, length: r.payload.length, hash: toHex(r.hash), payload }));
      }
    }
  } finally {
    await reader.close();
  }
  return EXIT.ok;
}

function lockHolder(dir: string): { pid: number | null; alive: boolean } {
  const path = join(dir, LOCK_FILE);
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : existsSync(path + '.pid') ? readFileSync(path + '.pid', 'utf8').trim() : '';
  const pid = /^\d+$/.test(text) ? Number(text) : null;
  if (pid === null) return { pid, alive: false };
  try {
    process.kill(pid, 0);
    return { pid, alive: true };
  } catch (err) {
    return { pid, alive: (err as NodeJS.ErrnoException).code === 'EPERM' };
  }
}

export async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } }, USAGE.inspect);
  if (values.help) return (io.out(USAGE.inspect), EXIT.ok);
  const dir = needJournal(positionals, USAGE.inspect);
  const reader = await Journal.openReader(dir);
  try {
    const durable = reader.durableOffset;
    const first = reader.firstOffset;
    const segments = reader.segments.segments.map((s) => ({ name: s.name, base: s.base, end: s.end, bytes: statSync(s.path).size, records: s.end - s.base }));
    const last = segments[segments.length - 1];
    const holder = lockHolder(dir);
    const info = {
      dir,
      backend: backendInfo.backend,
      firstOffset: first,
      endOffset: last ? dataEnd(last.base, last.bytes) : 0,
      durableOffset: durable,
      segments: segments.map(({ records: _r, ...s }) => s),
      totalBytes: segments.reduce((a, s) => a + s.bytes, 0),
      lockHolder: holder.pid !== null && holder.alive ? holder.pid : null,
    };
    if (values.json) io.out(JSON.stringify(info));
    else {
      io.out(`journal ${dir} (${info.backend} backend)`);
      io.out(`  offsets      first ${info.firstOffset}, end ${info.endOffset}, durable watermark ${info.durableOffset}`);
      io.out(`  lock holder  ${info.lockHolder === null ? 'none' : `pid ${info.lockHolder}`}`);
      io.out(`  segments     ${segments.length}, ${info.totalBytes} bytes`);
      for (const s of info.segments) io.out(`    ${s.name}  base ${s.base}  end ${s.end}  ${s.bytes} bytes`);
    }
  } finally {
    await reader.close();
  }
  return EXIT.ok;
}

export async function verify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } }, USAGE.verify);
  if (values.help) return (io.out(USAGE.verify), EXIT.ok);
  const dir = needJournal(positionals, USAGE.verify);
  const total = (await import('node:fs'))
    .readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  const bar = await progressBar(io, total, 'verify');
  try {
    const report = await recover(dir, { verifyAll: true, dryRun: true, onProgress: (n) => bar.update(n) });
    bar.update(total); // done: headers and the cut tail are not scanned, yet all of it was looked at
    bar.stop();
    const torn = report.truncatedAt !== null;
    if (values.json) io.out(JSON.stringify({ ok: true, ...report }));
    else {
      io.out(`ok: ${report.recordsValid} records in ${report.segments} segments verified (${report.bytesScanned} bytes)`);
      if (torn) io.out(`note: torn tail at offset ${report.truncatedAt} (${report.bytesTruncated} bytes); the next open truncates it`);
    }
    return EXIT.ok;
  } catch (err) {
    bar.stop();
    // A damaged segment header is reported as an error (describeFailure), not as a verify result.
    if (err instanceof CorruptionError && !(err instanceof SegmentFormatError) && values.json) {
      io.out(JSON.stringify({ ok: false, segment: err.segment, position: err.position, reason: err.reason, message: err.message }));
      return EXIT.corrupt;
    }
    throw err;
  }
}

export async function recoverCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { policy: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, USAGE.recover);
  if (values.help) return (io.out(USAGE.recover), EXIT.ok);
  const dir = needJournal(positionals, USAGE.recover);
  if (values.policy === undefined) throw new UsageError(`--policy is required\n${USAGE.recover}`);
  const policy = oneOf(values.policy as string, 'policy', RECOVERY_POLICIES, 'tolerate-tail');
  const report = await recover(dir, { policy, dryRun: Boolean(values['dry-run']), verifyAll: true });
  if (values.json) io.out(JSON.stringify(report));
  else {
    const verb = report.dryRun ? 'would' : 'did';
    io.out(`${policy}${report.dryRun ? ' (dry run)' : ''}: ${report.recordsValid} valid records, end offset ${report.end}`);
    if (report.truncatedAt !== null)
      io.out(`  ${verb} truncate at offset ${report.truncatedAt}: ${report.bytesTruncated} bytes, ${report.recordsDropped} valid records dropped`);
    for (const c of report.corruption) io.out(`  bad bytes: ${c.segment} at byte ${c.position} (offset ${c.offset}): ${c.reason}`);
    for (const g of report.gaps) io.out(`  skipped: ${g.segment} offsets ${g.from}..${g.to}`);
    for (const f of report.brokenFiles) io.out(`  kept cut bytes in ${f}`);
    if (report.zeroTailBytes > 0)
      io.out(`  ${report.zeroTailBytes} zero bytes after the last record (preallocated, unwritten): ${report.dryRun ? 'would be cut off' : 'cut off'}`);
  }
  return EXIT.ok;
}
