// The stemedb command line, through the built binary (dist/cli/main.js, compiled for this test)
// in real child processes: every subcommand on a real journal, verify on a corrupted one exits 1
// naming the position and the commands that help, bad arguments exit 2 with usage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, encodeAssertion, blake3 } from '../src/index.js';
import { tempDir, payloadFor } from './helpers/tmp.js';
import { builtPackage, repoRoot } from './helpers/built-package.js';

const pkg = builtPackage();

function cli(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [pkg.cli, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const { dir: root, cleanup } = tempDir('stemedb-cli-');
const dir = join(root, 'wal');

test('append from stdin lines and from files, then dump as JSON lines', () => {
  const a = cli(['append', dir, '--json'], 'alpha\nbeta\n');
  assert.is(a.code, 0, a.err);
  const acks = a.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(
    acks.map((x) => [x.offset, x.length]),
    [
      [0, 5],
      [45, 4],
    ],
  );
  writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 255]));
  const b = cli(['append', dir, '--file', join(root, 'blob.bin')]);
  assert.is(b.code, 0, b.err);
  const d = cli(['dump', dir, '--encoding', 'utf8']);
  assert.is(d.code, 0, d.err);
  const recs = d.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(recs.map((r) => r.payload).slice(0, 2), ['alpha', 'beta']);
  assert.is(recs[0].hash, Buffer.from(blake3(Buffer.from('alpha'))).toString('hex'));
  const hex = cli(['dump', dir, '--from', String(recs[2].offset), '--encoding', 'hex']);
  assert.is(JSON.parse(hex.out.trim()).payload, '000102ff');
  const limited = cli(['dump', dir, '--limit', '1']);
  assert.is(limited.out.trim().split('\n').length, 1);
});

test('inspect shows segments, offsets, the durable watermark and no lock holder', () => {
  const r = cli(['inspect', dir, '--json']);
  assert.is(r.code, 0, r.err);
  const info = JSON.parse(r.out);
  assert.is(info.segments.length, 1);
  assert.is(info.firstOffset, 0);
  assert.is(info.durableOffset, info.endOffset);
  assert.is(info.lockHolder, null);
  const text = cli(['inspect', dir]);
  assert.match(text.out, /durable watermark/);
});

test('verify a clean journal exits 0; recover --dry-run reports', () => {
  const v = cli(['verify', dir]);
  assert.is(v.code, 0, v.err);
  assert.match(v.out, /ok: 3 records/);
  const r = cli(['recover', dir, '--policy', 'strict', '--dry-run', '--json']);
  assert.is(r.code, 0, r.err);
  assert.is(JSON.parse(r.out).recordsValid, 3);
});

test('ingest into SQLite and query by subject and by hash', async () => {
  const jdir = join(root, 'facts');
  const j = await Journal.open(jdir);
  const epoch = new Uint8Array(16).fill(7);
  const payload = encodeAssertion({
    subject: 'water',
    predicate: 'boils_at_c',
    object: 100,
    epoch,
    author: 'ann',
    confidence: 0.9,
    createdAt: 1_700_000_000_000,
  });
  const { hash } = await j.append(payload);
  await j.append(
    encodeAssertion({ subject: 'water', predicate: 'freezes_at_c', object: 0, epoch, author: 'bob', confidence: 0.8, createdAt: 1_700_000_000_001 }),
  );
  await j.append(new Uint8Array([9, 9, 9])); // malformed: a dead letter, ingestion goes on
  await j.close();
  const db = join(root, 'facts.sqlite');
  const ing = cli(['ingest', jdir, '--db', db, '--json', '--journal', 'host-a/facts']);
  assert.is(ing.code, 0, ing.err);
  const stats = JSON.parse(ing.out);
  assert.is(stats.assertions, 2);
  assert.is(stats.deadLetters, 1);
  const again = cli(['ingest', jdir, '--db', db, '--json', '--journal', 'host-a/facts']);
  assert.is(JSON.parse(again.out).records, 0, 'exactly once: the cursor was committed');
  const j2 = await Journal.open(jdir);
  await j2.append(encodeAssertion({ subject: 'water', predicate: 'is', object: 'wet', epoch, author: 'cy', confidence: 1, createdAt: 1_700_000_000_002 }));
  await j2.close();
  const other = cli(['ingest', jdir, '--db', db, '--journal', 'host-b/facts']);
  assert.is.not(other.code, 0, 'the consumer now reads host-a/facts');
  assert.match(other.err, /JOURNAL_MISMATCH.*reads journal "host-a\/facts"/);
  const q = cli(['query', '--db', db, '--subject', 'water', '--json']);
  assert.is(q.code, 0, q.err);
  assert.equal(
    q.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).predicate)
      .sort(),
    ['boils_at_c', 'freezes_at_c'],
  );
  const h = cli(['query', '--db', db, '--hash', Buffer.from(hash).toString('hex')]);
  assert.is(h.code, 0, h.err);
  assert.match(h.out, /water boils_at_c 100/);
});

test('verify on a corrupted journal exits 1 and names the position', () => {
  const seg = join(dir, '00000000000000000000.wal');
  const bytes = readFileSync(seg);
  bytes[32 + 45 + 41]! ^= 0xff; // payload of the second record ('beta')
  writeFileSync(seg, bytes);
  const v = cli(['verify', dir]);
  assert.is(v.code, 1, v.out + v.err);
  assert.match(v.err, /00000000000000000000\.wal at byte 77/);
  const j = cli(['verify', dir, '--json']);
  assert.is(j.code, 1);
  assert.is(JSON.parse(j.out).position, 77);
  const rec = cli(['recover', dir, '--policy', 'truncate', '--dry-run', '--json']);
  assert.is(rec.code, 0, rec.err);
  assert.is(JSON.parse(rec.out).truncatedAt, 45);
});

test('bad arguments exit 2 with usage; --help exits 0', () => {
  for (const args of [
    [],
    ['nope'],
    ['dump'],
    ['dump', dir, '--bogus'],
    ['dump', dir, '--encoding', 'rot13'],
    ['recover', dir],
    ['recover', dir, '--policy', 'maybe'],
    ['query', '--db', 'x.sqlite'],
    ['query', '--db', 'x', '--hash', 'zz'],
    ['append', dir, '--durability', 'sometimes'],
    ['dump', dir, '--from', '-5'],
  ]) {
    const r = cli(args);
    assert.is(r.code, 2, `${args.join(' ')} -> ${r.code}: ${r.err}`);
    assert.match(r.err + r.out, /usage|unknown|must|missing|required|exactly one/i, args.join(' '));
  }
  for (const c of ['append', 'dump', 'inspect', 'verify', 'recover', 'ingest', 'query', 'bench']) {
    const r = cli([c, '--help']);
    assert.is(r.code, 0, c);
    assert.match(r.out, new RegExp(`usage: stemedb ${c}`));
  }
});

test('--version prints the package version', () => {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-v']) {
    const r = cli([flag]);
    assert.is(r.code, 0, r.err);
    assert.is(r.out.trim(), version);
  }
  assert.match(cli(['--help']).out, /--version/);
});

test('--json is accepted by every command that prints data, and each prints JSON', () => {
  const jdir = join(root, 'json');
  const db = join(root, 'json.sqlite');
  const runs: string[][] = [
    ['append', jdir, '--json'],
    ['dump', jdir, '--json'],
    ['inspect', jdir, '--json'],
    ['verify', jdir, '--json'],
    ['recover', jdir, '--policy', 'strict', '--dry-run', '--json'],
    ['ingest', jdir, '--db', db, '--json'],
    ['query', '--db', db, '--subject', 'nobody', '--json'],
  ];
  for (const args of runs) {
    const r = cli(args, 'one\ntwo\n');
    assert.is(r.code, 0, `${args.join(' ')}: ${r.err}`);
    for (const line of r.out.split('\n').filter(Boolean)) JSON.parse(line); // throws on anything but JSON
  }
  const dumped = cli(['dump', jdir, '--json', '--encoding', 'utf8'])
    .out.trim()
    .split('\n')
    .map((l) => JSON.parse(l).payload);
  assert.equal(dumped, ['one', 'two']);
});

test('a missing or empty directory gets the same clear message from every command that reads a journal', () => {
  const missing = join(root, 'does-not-exist');
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const commands = (dir: string) => [
    ['dump', dir],
    ['inspect', dir],
    ['verify', dir],
    ['recover', dir, '--policy', 'strict', '--dry-run'],
    ['ingest', dir, '--db', join(root, 'x.sqlite')],
  ];
  for (const [dir, why] of [
    [missing, 'the directory does not exist'],
    [empty, 'the directory holds no segment files'],
  ] as const) {
    for (const args of commands(dir)) {
      const r = cli(args);
      assert.is(r.code, 3, `${args.join(' ')}: ${r.err}`);
      assert.is(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
      assert.ok(r.err.startsWith(`stemedb ${args[0]}: no journal in ${dir}: ${why}`), `${args.join(' ')}: ${r.err}`);
      assert.not.match(r.err, /ENOENT|durable/);
    }
  }
});

test('corruption messages name CLI commands, not API calls', () => {
  const cdir = join(root, 'corrupt');
  assert.is(cli(['append', cdir], 'alpha\nbeta\ngamma\n').code, 0);
  const seg = join(cdir, '00000000000000000000.wal');
  const bytes = readFileSync(seg);
  bytes[32 + 45 + 41]! ^= 0xff; // the second record's payload: valid records follow, so corruption
  writeFileSync(seg, bytes);
  const v = cli(['verify', cdir]);
  assert.is(v.code, 1, v.err);
  assert.match(v.err, /at byte 77/);
  assert.ok(v.err.includes(`stemedb recover ${cdir} --policy truncate --dry-run`), v.err);
  assert.not.match(v.err, /recover\(|dryRun|recovery '/);
  const d = cli(['dump', cdir]);
  assert.is(d.code, 1, d.err);
  assert.ok(d.err.includes(`stemedb verify ${cdir}`), d.err);
  assert.not.match(d.err, /recover\(|dryRun/);
  // A journal whose tail was cut below its durable watermark: accepting the loss is a command too.
  const ldir = join(root, 'lost');
  assert.is(cli(['append', ldir], 'alpha\nbeta\n').code, 0);
  const lseg = join(ldir, '00000000000000000000.wal');
  writeFileSync(lseg, readFileSync(lseg).subarray(0, 32 + 45));
  const l = cli(['verify', ldir]);
  assert.is(l.code, 1, l.err);
  assert.ok(l.err.includes(`stemedb recover ${ldir} --policy truncate`), l.err);
  assert.not.match(l.err, /recovery '/);
});

test('on a terminal, progress shows MiB, rate and ETA (and nothing on a pipe)', async () => {
  const pdir = join(root, 'progress');
  const j = await Journal.open(pdir);
  await j.appendBatch(Array.from({ length: 48 }, (_, i) => payloadFor(i, 64 * 1024)));
  await j.close();
  const piped = cli(['verify', pdir]);
  assert.is(piped.code, 0, piped.err);
  assert.is(piped.err, '', 'no bar on a pipe');
  // script(1) gives the command a pseudo-terminal, as a user's shell would (util-linux and BSD/macOS spell it differently).
  const command = [process.execPath, pkg.cli, 'verify', pdir];
  const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const scriptArgs = process.platform === 'linux' ? ['-qec', command.map(shellQuote).join(' '), '/dev/null'] : ['-q', '/dev/null', ...command];
  const r = spawnSync('script', scriptArgs, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /verify \[.*\] \d+% \| \d+\.\d\/3\.0 MiB \| \d+\.\d MiB\/s \| ETA (\d+:\d\d|--:--)/);
  assert.match(r.stdout, /100% \| 3\.0\/3\.0 MiB/);
});

test('stemedb bench in an installed package says exactly how to run the benches from a clone', () => {
  const r = cli(['bench', '--quick']);
  assert.is(r.code, 3, r.out + r.err);
  assert.match(r.err, /not part of the installed package/);
  assert.match(r.err, /git clone \S+ stemedb/);
  assert.match(r.err, /npm install && npm run bench -- --quick/);
});

test.after(() => {
  cleanup();
  pkg.cleanup();
});
test.run();
