// Opens a Store (and, to show the journal needs no driver, a journal) and prints what happened. argv: dir [driver]
import { join } from 'node:path';
import { Journal, Store, StemeError, StoreError } from '../../src/index.js';

const dir = process.argv[2]!;
const driver = process.argv[3] as Parameters<typeof Store.open>[1] extends infer O ? (O extends { driver?: infer D } ? D : never) : never;
const j = await Journal.open(join(dir, 'wal'));
await j.append(new TextEncoder().encode('journal works without a driver'));
await j.close();
try {
  const store = Store.open(join(dir, 'facts.db'), driver ? { driver } : {});
  console.log(JSON.stringify({ opened: true, driver: store.driver, journal: true }));
  store.close();
} catch (err) {
  const e = err as Error & { code?: string };
  console.log(
    JSON.stringify({
      opened: false,
      steme: err instanceof StemeError && err instanceof StoreError,
      name: e.name,
      code: e.code,
      message: e.message,
      journal: true,
    }),
  );
}
