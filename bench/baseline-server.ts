/*
 * The ingest bench's yardstick: a bare node:http server that reads the body, JSON.parse's it and answers 201 with a
 * small JSON — the least any JSON API must do per request. Prints {"port":…} and serves until SIGTERM or stdin EOF.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let name: unknown = null;
    try {
      name = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { image?: { name?: unknown } }).image?.name ?? null;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    const body = JSON.stringify({ id: 'baseline', name });
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => server.close(() => process.exit(0)).closeAllConnections();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).resume();
