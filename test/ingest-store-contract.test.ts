// The shared store contract (test/helpers/store-contract.ts) against the SQLite Store.
import { Store } from '../src/ingest/index.js';
import { storeContract } from './helpers/store-contract.js';
import { tempDir } from './helpers/ingest-fixtures.js';

const tmp = tempDir('stemedb-contract-');
const open: Store[] = [];
let n = 0;

storeContract('SQLite', {
  async newStore() {
    const s = Store.open(tmp.file(`c${n++}.db`));
    open.push(s);
    return s;
  },
  async done() {
    for (const s of open) s.close();
    tmp.remove();
  },
});
