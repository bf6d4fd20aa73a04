/**
 * Hash bench: stemedb's crc32c / blake3 / hashFrames against the npm peers, at
 * 64 B, 1 KiB, 64 KiB and 1 MiB, measured with mitata's `measure` (p50 of its
 * samples; a sample averages a batch of calls when one call is short).
 *
 * Peers: CRC32C — @node-rs/crc32 (crc32c), fast-crc32c (sse4_crc32 native when
 * it is built, else its JS table code: the run says which), hash-wasm
 * (createCRC32(0x82f63b78)); BLAKE3 — @napi-rs/blake-hash, hash-wasm
 * (createBLAKE3), @noble/hashes. hash-wasm instances are created once
 * (asynchronously) and then used through their synchronous init/update/digest
 * path, which is how a fair caller would use them. stemedb's own wasm fallback
 * is measured too, as information (never as a "peer").
 *
 * Every implementation's output is checked against stemedb's before timing.
 *
 * Run: `npx tsx benches/hash.ts [--quick]`
 */
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { do_not_optimize, measure } from 'mitata';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { blake3 as napiBlake3 } from '@napi-rs/blake-hash';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3, createCRC32 } from 'hash-wasm';
import { backend, blake3, crc32c, hashFrames } from '../src/index.js';
import { hashBackend } from '../src/hash/index.js';
import { createWasmHash } from '../src/hash/wasm.js';
import { Blake3Mode } from '../src/hash/backend.js';
import { loadBinding } from '../src/native/binding.js';
import {
  type BenchResult,
  type Cell,
  type RunOptions,
  type Table,
  Samples,
  addGroup,
  bytesLabel,
  finishResult,
  isMain,
  log,
  main,
  median,
  sig,
  startResult,
  target,
  versions,
} from './lib/index.js';

const require = createRequire(import.meta.url);
const SIZES = [64, 1024, 64 * 1024, 1024 * 1024];
const BATCH_COUNT = 10_000;
const BATCH_PAYLOAD = 128;
const BATCH_FLOOR = 'hashing alone: frameBatch kernel (floor)';

interface Impl<T> {
  name: string;
  fn: (data: Buffer) => T;
  /** Ours, a peer, or information only (stemedb's wasm fallback). */
  kind: 'ours' | 'peer' | 'info';
}

type Measured = { name: string; kind: Impl<unknown>['kind']; size: number; ns: number };

/** fast-crc32c picks sse4_crc32 (native) when it loads, else its JS code: find out which it picked. */
function loadFastCrc(): { calculate: (buf: Uint8Array, initial?: number) => number; impl: string } {
  const fast = require('fast-crc32c') as { calculate: (buf: Uint8Array, initial?: number) => number };
  let impl = 'unknown';
  try {
    const sse = require('sse4_crc32') as { calculate: unknown; hardware_support?: boolean };
    if (fast.calculate === sse.calculate) impl = `sse4_crc32 native (hardware_support=${String(sse.hardware_support)})`;
  } catch (err) {
    impl = `JS fallback (sse4_crc32 did not load: ${String((err as Error).message).split('\n')[0]})`;
  }
  if (impl === 'unknown') {
    const js = require('fast-crc32c/impls/js_crc32c') as { calculate: unknown };
    impl = fast.calculate === js.calculate ? 'JS fallback' : 'unknown';
  }
  return { calculate: fast.calculate, impl };
}

const be32 = (d: Uint8Array) => ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');

/** --quick keeps the whole `npm run bench -- --quick` under a minute: fewer samples per measurement. */
let quickSamples = false;

async function timeNs(fn: () => unknown, minCpuNs: number): Promise<number> {
  const stats = await measure(
    () => do_not_optimize(fn()),
    quickSamples ? { min_cpu_time: minCpuNs, min_samples: 2, warmup_samples: 2 } : { min_cpu_time: minCpuNs },
  );
  return stats.p50;
}

const ROUNDS = 3;

/**
 * For each input size: ROUNDS rounds over all implementations (interleaved, so a
 * burst of load elsewhere hits every implementation alike), each a mitata
 * measurement; the figure kept is the median of the rounds' p50s.
 */
async function measureAll<T>(impls: Impl<T>[], inputs: Buffer[], minCpuNs: number, label: string): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const data of inputs) {
    const rounds = new Map<string, number[]>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of impls) {
        const ns = await timeNs(() => impl.fn(data), minCpuNs / ROUNDS);
        rounds.set(impl.name, [...(rounds.get(impl.name) ?? []), ns]);
      }
    }
    for (const impl of impls) {
      const ns = median(rounds.get(impl.name)!);
      out.push({ name: impl.name, kind: impl.kind, size: data.length, ns });
      log(
        `  ${label} ${bytesLabel(data.length).padEnd(7)} ${impl.name.padEnd(34)} ${sig(ns, 4)} ns  (rounds: ${rounds
          .get(impl.name)!
          .map((x) => sig(x, 3))
          .join(', ')})`,
      );
    }
  }
  return out;
}

function sizeTable(title: string, ms: Measured[], notes: string[]) {
  const rows: Cell[][] = [];
  for (const size of SIZES) {
    const at = ms.filter((m) => m.size === size);
    const ours = at.find((m) => m.kind === 'ours')!;
    for (const m of at) {
      rows.push([bytesLabel(size), m.kind === 'info' ? `${m.name} (info)` : m.name, sig(m.ns, 3), sig(size / m.ns, 3), sig(m.ns / ours.ns, 3)]);
    }
  }
  return { title, columns: ['size', 'implementation', 'ns/op', 'GB/s', 'time ÷ stemedb'], rows, notes };
}

function best(ms: Measured[], size: number): Measured {
  return ms.filter((m) => m.size === size && m.kind === 'peer').reduce((a, b) => (b.ns < a.ns ? b : a));
}
/** Which native BLAKE3 path blake3() took at each size (chosen per size class by timing at load). */
function blake3PathNote(): string {
  const paths = backend === 'native' ? loadBinding()?.hashInfo().blake3Paths : undefined;
  if (!paths) return `blake3 path: ${backend}`;
  const at = (n: number): string => (n <= 64 ? paths.block : n <= 1024 ? paths.chunk : paths.tree);
  return `stemedb blake3 path per size (calibrated at load; "a+b": a's lanes, b's single-block compression): ${SIZES.map((n) => `${bytesLabel(n)} ${at(n)}`).join(', ')}`;
}

function find(ms: Measured[], size: number, name: string): Measured {
  const m = ms.find((x) => x.size === size && x.name === name);
  if (!m) throw new Error(`no measurement for ${name} at ${size}`);
  return m;
}

export async function run(opts: RunOptions): Promise<BenchResult> {
  const res = startResult('hash', opts);
  const minCpuNs = (opts.quick ? 15 : 400) * 1e6;
  quickSamples = opts.quick;
  const fast = loadFastCrc();
  res.notes.push(`fast-crc32c runs: ${fast.impl}`);
  res.notes.push(`peers: ${versions(['@node-rs/crc32', 'fast-crc32c', 'sse4_crc32', 'hash-wasm', '@napi-rs/blake-hash', '@noble/hashes', 'mitata'])}`);

  const crcWasm = await createCRC32(0x82f63b78);
  const b3Wasm = await createBLAKE3();
  // stemedb's own fallback, measured beside the native one (when native loaded).
  const fallback = backend === 'native' ? createWasmHash() : null;
  await fallback?.ready(); // measure hash-wasm, not the JavaScript paths it starts on
  const fbOut = new Uint8Array(32);

  const inputs = SIZES.map((n) => randomFillSync(Buffer.allocUnsafe(n)));

  const crcImpls: Impl<number>[] = [
    { name: `stemedb crc32c (${backend})`, kind: 'ours', fn: (d) => crc32c(d) },
    ...(fallback ? [{ name: 'stemedb wasm fallback', kind: 'info' as const, fn: (d: Buffer) => fallback.crc32c(d, 0) }] : []),
    { name: '@node-rs/crc32 crc32c', kind: 'peer', fn: (d) => nodeRsCrc32c(d) },
    { name: `fast-crc32c (${fast.impl.startsWith('sse4') ? 'sse4_crc32' : 'js'})`, kind: 'peer', fn: (d) => fast.calculate(d) },
    { name: 'hash-wasm crc32(0x82f63b78)', kind: 'peer', fn: (d) => be32(crcWasm.init().update(d).digest('binary')) },
  ];
  const b3Impls: Impl<Uint8Array>[] = [
    { name: `stemedb blake3 (${backend})`, kind: 'ours', fn: (d) => blake3(d) },
    ...(fallback ? [{ name: 'stemedb wasm fallback', kind: 'info' as const, fn: (d: Buffer) => (fallback.blake3(d, fbOut, Blake3Mode.Plain), fbOut) }] : []),
    { name: '@napi-rs/blake-hash blake3', kind: 'peer', fn: (d) => napiBlake3(d) },
    { name: 'hash-wasm blake3', kind: 'peer', fn: (d) => b3Wasm.init().update(d).digest('binary') },
    { name: '@noble/hashes blake3', kind: 'peer', fn: (d) => nobleBlake3(d) },
  ];

  // Same answers everywhere before anything is timed.
  for (const d of inputs) {
    const want = crc32c(d);
    for (const i of crcImpls) if (i.fn(d) >>> 0 !== want) throw new Error(`${i.name} disagrees with stemedb crc32c at ${d.length} B`);
    const wantH = hex(blake3(d));
    for (const i of b3Impls) if (hex(i.fn(d)) !== wantH) throw new Error(`${i.name} disagrees with stemedb blake3 at ${d.length} B`);
  }

  log('hash: CRC32C');
  const crcMs = await measureAll(crcImpls, inputs, minCpuNs, 'crc32c');
  log('hash: BLAKE3');
  const pathNote = blake3PathNote();
  log(`  ${pathNote}`);
  const b3Ms = await measureAll(b3Impls, inputs, minCpuNs, 'blake3');

  const crcTable = sizeTable('CRC32C', crcMs, [
    `ns/op: median of ${ROUNDS} interleaved rounds of mitata's p50; GB/s = bytes / ns; "time ÷ stemedb" > 1 means slower than stemedb.`,
    'No floor column: one call is the hashing primitive itself (the floor of the batch below, of the journal and of recovery).',
  ]);
  const b3Table = sizeTable('BLAKE3-256 (single-threaded, one call per input)', b3Ms, [
    '@napi-rs/blake-hash blake3() and stemedb blake3() are both single-threaded one-shot calls.',
    pathNote,
  ]);
  res.tables.push(crcTable, b3Table);

  // --- batch: BLAKE3 + frame CRC32C of 10 000 payloads of 128 B ---------------
  log('hash: batch');
  const payloads = Array.from({ length: BATCH_COUNT }, () => randomFillSync(Buffer.allocUnsafe(BATCH_PAYLOAD)));
  const flat = Buffer.concat(payloads);
  const lengths = new Uint32Array(BATCH_COUNT).fill(BATCH_PAYLOAD);
  const lenBytes = new Uint8Array(4);
  new DataView(lenBytes.buffer).setUint32(0, BATCH_PAYLOAD, true);
  const ref = hashFrames(payloads);
  const check = hashFrames({ data: flat, lengths });
  if (hex(ref.hashes) !== hex(check.hashes) || hex(new Uint8Array(ref.crcs.buffer)) !== hex(new Uint8Array(check.crcs.buffer))) {
    throw new Error('hashFrames array form and {data, lengths} form disagree');
  }
  // Peers have no batch call: the same work, one payload at a time.
  const loop = (h: (p: Buffer) => Uint8Array, c: (d: Uint8Array, seed?: number) => number) => () => {
    const hashes = new Uint8Array(BATCH_COUNT * 32);
    const crcs = new Uint32Array(BATCH_COUNT);
    for (let i = 0; i < BATCH_COUNT; i++) {
      const p = payloads[i]!;
      const hash = h(p);
      hashes.set(hash, i * 32);
      crcs[i] = c(p, c(hash, c(lenBytes, 0)));
    }
    return crcs;
  };
  // The floor: hashing alone, the addon's batch kernel (BLAKE3 of each payload, CRC32C of each
  // frame) into outputs allocated once, without hashFrames' argument checks, gathering and results.
  const floorHashes = new Uint8Array(BATCH_COUNT * 32);
  const floorCrcs = new Uint32Array(BATCH_COUNT);
  const hashAlone = () => (hashBackend.frameBatch(flat, lengths, floorHashes, floorCrcs, null), floorCrcs);
  const batchImpls: Array<{ name: string; kind: 'ours' | 'peer' | 'info' | 'floor'; fn: () => unknown; crcs: () => Uint32Array }> = [
    { name: 'stemedb hashFrames(array)', kind: 'ours', fn: () => hashFrames(payloads), crcs: () => hashFrames(payloads).crcs },
    {
      name: 'stemedb hashFrames({data, lengths})',
      kind: 'ours',
      fn: () => hashFrames({ data: flat, lengths }),
      crcs: () => hashFrames({ data: flat, lengths }).crcs,
    },
    { name: 'stemedb blake3 + crc32c per payload', kind: 'info', fn: loop((p) => blake3(p), crc32c), crcs: loop((p) => blake3(p), crc32c) },
    {
      name: '@napi-rs/blake-hash + @node-rs/crc32 loop',
      kind: 'peer',
      fn: loop(
        (p) => napiBlake3(p),
        (d, s) => nodeRsCrc32c(d, s),
      ),
      crcs: loop(
        (p) => napiBlake3(p),
        (d, s) => nodeRsCrc32c(d, s),
      ),
    },
  ];
  batchImpls.push({ name: BATCH_FLOOR, kind: 'floor', fn: hashAlone, crcs: hashAlone });
  const batchRows: Cell[][] = [];
  const batchNs = new Map<string, number>();
  for (const b of batchImpls) {
    const crcs = b.crcs();
    if (crcs.some((c, i) => c >>> 0 !== ref.crcs[i])) throw new Error(`${b.name}: frame CRCs disagree with hashFrames`);
  }
  const batchRounds = new Samples();
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of batchImpls) batchRounds.add(b.name, await timeNs(b.fn, minCpuNs / ROUNDS));
  }
  for (const b of batchImpls) {
    const ns = batchRounds.median(b.name);
    batchNs.set(b.name, ns);
    log(`  batch ${b.name.padEnd(44)} ${sig(ns / 1e6, 4)} ms`);
  }
  const base = batchNs.get('stemedb hashFrames({data, lengths})')!;
  for (const b of batchImpls) {
    const ns = batchNs.get(b.name)!;
    // Speed ratio to the floor, paired by round: the floor's time ÷ this time, in the same round.
    batchRows.push([
      b.name,
      sig(ns / 1e6, 3),
      sig(ns / BATCH_COUNT, 3),
      sig((1e3 * BATCH_COUNT) / ns, 3),
      sig(ns / base, 3),
      sig(batchRounds.pairedRatio(BATCH_FLOOR, b.name), 3),
    ]);
  }
  const batchTable: Table = {
    title: `Batch: BLAKE3 + frame CRC32C of ${BATCH_COUNT.toLocaleString('en-US')} payloads of ${BATCH_PAYLOAD} B`,
    columns: ['implementation', 'ms/batch', 'ns/record', 'M records/s', 'time ÷ hashFrames({data,lengths})', 'speed ÷ hashing alone'],
    rows: batchRows,
    notes: [
      'Peers have no batch call: they loop one payload at a time (hash, then CRC over len ‖ hash ‖ payload).',
      `"${BATCH_FLOOR}": the floor, the addon's batch kernel into outputs allocated once (no argument checks, no gathering of payloads, no result objects). "speed ÷ hashing alone" is paired: its time ÷ this time in the same round, median of ${ROUNDS}.`,
    ],
  };
  res.tables.push(batchTable);

  // --- targets ---------------------------------------------------------------
  const ourCrc = `stemedb crc32c (${backend})`;
  const ourB3 = `stemedb blake3 (${backend})`;
  {
    const mib = 1024 * 1024;
    const o = find(crcMs, mib, ourCrc);
    const p = best(crcMs, mib);
    const r = p.ns / o.ns;
    target(
      res,
      'CRC32C @ 1 MiB',
      ">= 2x the best peer's GB/s",
      r,
      '>=',
      2,
      `${sig(mib / o.ns, 3)} GB/s vs ${sig(mib / p.ns, 3)} GB/s (${p.name}) = ${sig(r, 3)}x`,
    );
  }
  {
    const o = find(crcMs, 64, ourCrc);
    const p = best(crcMs, 64);
    const r = o.ns / p.ns;
    target(res, 'CRC32C, one 64-B call', "<= 0.6x the best peer's time", r, '<=', 0.6, `${sig(o.ns, 3)} ns vs ${sig(p.ns, 3)} ns (${p.name}) = ${sig(r, 3)}x`);
  }
  {
    const mib = 1024 * 1024;
    const o = find(b3Ms, mib, ourB3);
    const p = find(b3Ms, mib, '@napi-rs/blake-hash blake3');
    const r = p.ns / o.ns;
    target(
      res,
      'BLAKE3 @ 1 MiB, single-threaded',
      '>= @napi-rs/blake-hash GB/s (ratio >= 1)',
      r,
      '>=',
      1,
      `${sig(mib / o.ns, 3)} GB/s vs ${sig(mib / p.ns, 3)} GB/s = ${sig(r, 3)}x`,
    );
  }
  {
    const o = find(b3Ms, 1024, ourB3);
    const p = find(b3Ms, 1024, 'hash-wasm blake3');
    const r = o.ns / p.ns;
    target(res, 'BLAKE3 @ 1 KiB', "<= 0.5x hash-wasm's time", r, '<=', 0.5, `${sig(o.ns, 3)} ns vs ${sig(p.ns, 3)} ns = ${sig(r, 3)}x`);
  }
  for (const name of ['stemedb hashFrames(array)', 'stemedb hashFrames({data, lengths})']) {
    const ms = batchNs.get(name)! / 1e6;
    target(res, `${name}, 10 000 × 128 B`, '<= 1.5 ms', ms, '<=', 1.5, `${sig(ms, 3)} ms`);
  }

  // --- chart: the target sizes, and the batch against hashing alone -------------
  const noFloor = 'none: one hash call is itself the hashing primitive the other floors are made of';
  for (const [t, ours, peers, size] of [
    [crcTable, ourCrc, crcImpls, 64],
    [crcTable, ourCrc, crcImpls, 1024 * 1024],
    [b3Table, ourB3, b3Impls, 1024],
    [b3Table, ourB3, b3Impls, 1024 * 1024],
  ] as const) {
    addGroup(res, t, {
      title: `${t === crcTable ? 'CRC32C' : 'BLAKE3'}, one call of ${bytesLabel(size)}`,
      unit: 'GB/s',
      name: 'implementation',
      value: 'GB/s',
      ours: { size: bytesLabel(size), implementation: ours },
      peers: peers.filter((i) => i.kind === 'peer').map((i) => ({ size: bytesLabel(size), implementation: i.name })),
      noFloor,
    });
  }
  addGroup(res, batchTable, {
    title: `hashFrames({data, lengths}) of ${BATCH_COUNT.toLocaleString('en-US')} × ${BATCH_PAYLOAD} B`,
    unit: 'M records/s',
    name: 'implementation',
    value: 'M records/s',
    toFloor: 'speed ÷ hashing alone',
    ours: { implementation: 'stemedb hashFrames({data, lengths})' },
    peers: batchImpls.filter((b) => b.kind === 'peer').map((b) => ({ implementation: b.name })),
    floor: { implementation: BATCH_FLOOR },
  });
  return finishResult(res);
}

if (isMain(import.meta.url)) await main(run);
