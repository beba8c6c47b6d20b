/* The worker thread of report-parse-pool.ts: prepares each report it is sent and answers with the result. */
import { parentPort } from 'node:worker_threads';
import { prepareReport, type PrepareRequest } from './report-preparation.js';

parentPort!.on('message', ({ id, request }: { id: number; request: PrepareRequest }) => {
  try {
    parentPort!.postMessage({ id, result: prepareReport(request) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message ?? String(error) });
  }
});
