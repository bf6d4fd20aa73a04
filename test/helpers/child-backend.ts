// Prints the backend the package chose and runs a small journal round trip on it. argv: dir
import { backend, backendInfo, crc32c, blake3, Journal } from '../../src/index.js';

const j = await Journal.open(process.argv[2]!);
const r = await j.append(new TextEncoder().encode('round trip'));
const rec = await j.read(r.offset);
await j.close();
console.log(JSON.stringify({
  backend, reason: backendInfo.reason, io: j.io.name,
  ok: new TextDecoder().decode(rec!.payload) === 'round trip',
  crc: crc32c(new TextEncoder().encode('123456789')).toString(16),
  hash: Buffer.from(blake3(new Uint8Array(0))).toString('hex').slice(0, 16),
}));
