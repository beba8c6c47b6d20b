/*
 * The worker thread of report-parse-pool.ts: prepares each report it is sent and answers with the result; learns
 * which descriptions the database holds (their texts are then left out of the results).
 */
import { parentPort } from 'node:worker_threads';
import { KNOWN_LIMIT } from './description-store.js';
import { prepareReport, type PrepareRequest } from './report-preparation.js';

// Bounded as the main thread's own set: past the limit it starts again, and texts are sent.
const stored = new Set<string>();

type Message = { id: number; request: PrepareRequest } | { stored: string[] };

parentPort!.on('message', (message: Message) => {
  if ('stored' in message) {
    if (stored.size + message.stored.length > KNOWN_LIMIT) stored.clear();
    for (const hash of message.stored) stored.add(hash);
    return;
  }
  const { id, request } = message;
  try {
    parentPort!.postMessage({ id, result: prepareReport(request, stored) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message ?? String(error) });
  }
});
