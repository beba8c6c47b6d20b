/*
 * A real Tidewatch for the browser: the app of test/support/app.ts listening on 127.0.0.1, over a fresh SQLite
 * database (UI tests run on SQLite only; the API's storage is tested on both engines by its own files), with a
 * delivery worker so that notification tests deliver for real, and the built interface (dist/web).
 */
import { openTestStorage, type TestStorage } from '../../support/engines.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { startWorker } from '../../support/notifications.js';
import type { DeliveryWorker } from '../../../src/delivery/delivery-worker.js';
import { ensureWebBuild } from './web-build.js';

export interface UiServer {
  url: string;
  t: TestApp;
  storage: TestStorage;
  worker: DeliveryWorker;
  close(): Promise<void>;
}

export async function startUiServer(): Promise<UiServer> {
  await ensureWebBuild();
  const storage = await openTestStorage('sqlite');
  const t = await startTestApp(storage);
  const url = await t.listen();
  // Attempts a few hundred milliseconds apart, so a test sees a failed attempt, then the retry, in the delivery log.
  const worker = startWorker(storage, { schedule: [0, 300, 600] });
  return {
    url, t, storage, worker,
    close: async () => {
      await worker.stop();
      await t.close();
      await storage.dispose();
    },
  };
}
