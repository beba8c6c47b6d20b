import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

/*
 * SQLite in WAL mode copies the log back into the database (a checkpoint, with its fsyncs) from inside whichever COMMIT
 * crosses 1,000 pages. better-sqlite3 is synchronous, so that commit — several milliseconds — froze every request in
 * flight: it was most of the ingest cost and all of its p99 (bench/ingest.ts). So the serving connection turns
 * automatic checkpoints off and this worker thread copies the log in the background (PASSIVE: it never blocks the
 * writer). Under steady writes the copy never quite catches up, and the log would only grow; so the writer, between
 * two of its transactions and at most once a second, runs a PASSIVE checkpoint itself (`finishCheckpoint`), which has
 * only the last few pages left to copy, after which its next transaction starts the log over. A crash loses nothing:
 * the log is replayed on the next open.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
let stopping = false;
function checkpoint() {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round catches up */ }
}
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop' || stopping) return;
  stopping = true;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage('stopped');
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, options: { intervalMs?: number } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { file, driver, intervalMs: options.intervalMs ?? 100 } });
  worker.unref();
  worker.on('error', () => {});
  return {
    stop: () => new Promise<void>((resolve) => {
      const done = () => { void worker.terminate().finally(resolve); };
      worker.once('message', done);
      worker.once('exit', () => resolve());
      worker.postMessage('stop');
      setTimeout(done, 2000).unref();
    }),
  };
}

/** For the writer, after a commit: completes the background copy at most once per interval so the log restarts. */
export function checkpointFinisher(run: () => void, intervalMs = 1000): () => void {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    try { run(); } catch { /* busy: next time */ }
  };
}
