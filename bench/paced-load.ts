/*
 * Load at a fixed rate, evenly spaced (open loop): request i is due at start + i / rate, whatever the answers before
 * it. autocannon's overallRate is a per-second budget each connection spends at once, so at "500/s" it sends a burst
 * every second and idles in between; an API server's admissions arrive spread out, which this models. Latency counts
 * from when a request was due, so a server (or this process) falling behind is not hidden (coordinated omission).
 */
import http from 'node:http';
import type { LoadResult } from './support.js';

export interface PacedOptions {
  /** http://127.0.0.1:<port> */
  url: string;
  path: string;
  rate: number;
  seconds: number;
  body(): string;
}

export function paced(o: PacedOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const { hostname, port } = new URL(o.url);
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  const byStatus = new Map<number, number>();
  const failures = new Set<string>();
  let errors = 0;
  let sent = 0;
  let settled = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      if (++settled < total) return;
      agent.destroy();
      const seconds = (performance.now() - start) / 1000;
      resolve({ responses: latencies.length, byStatus, latencies, failures: [...failures], errors, seconds, reqPerSec: latencies.length / seconds });
    };
    const send = (due: number) => {
      const payload = o.body();
      const req = http.request({
        agent, hostname, port, path: o.path, method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - due);
          const status = res.statusCode ?? 0;
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
          if ((status < 200 || status >= 300) && failures.size < 5) failures.add(`${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`);
          finish();
        });
      });
      req.on('error', () => { errors++; finish(); });
      req.end(payload);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
}
