// Prints the backend the package chose, the warnings it emitted, and runs a small journal round trip on it. argv: dir
import { backend, backendInfo, crc32c, blake3, hashFrames, Journal } from '../../src/index.js';

const warnings: { type: string; code?: string; message: string }[] = [];
process.on('warning', (w: Error & { code?: string }) => warnings.push({ type: w.name, code: w.code, message: w.message }));

// Two uses of the package, a journal and the hash functions: still one warning.
for (const round of [1, 2]) {
  const j = await Journal.open(process.argv[2]!);
  await j.append(new TextEncoder().encode(`round trip ${round}`));
  await j.close();
}
const j = await Journal.open(process.argv[2]!);
const r = await j.append(new TextEncoder().encode('round trip'));
const rec = await j.read(r.offset);
await j.close();
hashFrames([new Uint8Array(300)]);
await new Promise((resolve) => setImmediate(resolve)); // warnings are delivered on a later tick
console.log(
  JSON.stringify({
    backend,
    reason: backendInfo.reason,
    io: j.io.name,
    impl: { crc32c: backendInfo.crc32c, blake3: backendInfo.blake3 },
    ok: new TextDecoder().decode(rec!.payload) === 'round trip',
    crc: crc32c(new TextEncoder().encode('123456789')).toString(16),
    hash: Buffer.from(blake3(new Uint8Array(0)))
      .toString('hex')
      .slice(0, 16),
    warnings,
  }),
);
