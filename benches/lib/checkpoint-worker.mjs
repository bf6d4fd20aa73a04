// A second connection to the database at workerData.path that runs PRAGMA wal_checkpoint(PASSIVE)
// every workerData.everyMs on its own thread, so the writer's connection (wal_autocheckpoint 0)
// never checkpoints: the SQLite variant "checkpoints by a worker thread" (benches/ingest-sqlite.ts).
// On 'stop' it closes and answers with how many checkpoints found the WAL busy.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
let stop = false;
let runs = 0;
let busy = 0;
parentPort.on('message', () => (stop = true));
(function checkpoint() {
  if (stop) {
    db.close();
    parentPort.postMessage({ runs, busy });
    parentPort.close();
    return;
  }
  const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  runs++;
  if (r.busy) busy++;
  setTimeout(checkpoint, workerData.everyMs);
})();
