/*
 * Worker threads that turn report bytes into parsed findings (report-preparation.ts). JSON.parse of a 2 MB report,
 * the checks on its text and the parser held the main thread ~5 ms per Grype report, while it also runs every
 * database write; here they run beside it, on the machine's other cores. A worker that dies fails its requests
 * (500) and is replaced.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KNOWN_LIMIT } from './description-store.js';
import type { PrepareRequest, PrepareResult } from './report-preparation.js';

// The worker's file beside this one: .js in dist; .ts when run from source (tests, benches), where the worker first
// registers tsx's loader itself, since a worker thread does not take over the --import of its process.
const here = fileURLToPath(import.meta.url);
const workerFile = path.join(path.dirname(here), `report-parse-worker${path.extname(here)}`);

function startWorker(): Worker {
  if (!workerFile.endsWith('.ts')) return new Worker(workerFile);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(pathToFileURL(workerFile).href)}); });`;
  return new Worker(code, { eval: true });
}

interface Pending {
  resolve: (result: PrepareResult) => void;
  reject: (error: Error) => void;
}

class ParseWorker {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;

  constructor(onExit: (w: ParseWorker) => void) {
    this.worker = startWorker();
    this.worker.unref();
    this.worker.on('message', (m: { id: number; result?: PrepareResult; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(`the report could not be read: ${m.error}`));
    });
    const failAll = (error: Error) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => failAll(error));
    this.worker.on('exit', () => {
      failAll(new Error('the report parser stopped'));
      onExit(this);
    });
  }
}

export class ReportParsePool {
  private workers: ParseWorker[] = [];
  private nextId = 1;
  private closed = false;
  private readonly told = new Set<string>();

  constructor(private readonly size = Math.min(4, Math.max(1, os.availableParallelism() - 1))) {}

  prepare(request: PrepareRequest): Promise<PrepareResult> {
    if (this.closed) return Promise.reject(new Error('the report parser is closed'));
    const worker = this.leastBusy();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      // The bytes move to the worker without a copy when they are the whole of their memory (Fastify joins a body
      // of more than 4 KiB into a buffer of its own); a small body may share Node's pooled memory, and is copied.
      const { bytes } = request;
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      worker.worker.postMessage({ id, request }, own ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  /**
   * Descriptions now committed to the database: the workers leave their texts out of later results. Each hash is
   * told once (a bounded set, like the workers'); a worker started later learns only what comes after.
   */
  descriptionsStored(hashes: ReadonlyArray<string | null>): void {
    const fresh: string[] = [];
    for (const hash of hashes) {
      if (hash === null || this.told.has(hash)) continue;
      this.told.add(hash);
      fresh.push(hash);
    }
    if (fresh.length === 0) return;
    if (this.told.size > KNOWN_LIMIT) this.told.clear();
    for (const w of this.workers) w.worker.postMessage({ stored: fresh });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private leastBusy(): ParseWorker {
    if (this.workers.length < this.size) {
      const w = new ParseWorker((gone) => { this.workers = this.workers.filter((x) => x !== gone); });
      this.workers.push(w);
      return w;
    }
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }
}
