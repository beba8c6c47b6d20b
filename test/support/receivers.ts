/*
 * Real receivers for delivery tests: node:http servers on 127.0.0.1 and an in-process SMTP server (smtp-server).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a receiver answers: a status (with headers and body), or 'hang' to never answer. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  /** Requests still open (hanging). */
  open(): number;
  close(): Promise<void>;
}

export async function startReceiver(answer: (request: Received, index: number) => Answer = () => ({ status: 200, body: 'ok' })): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  let open = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = received.length;
      received.push(r);
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      const a = answer(r, index);
      if (a === 'hang') {
        open++;
        res.on('close', () => open--);
        return;
      }
      const reply = () => {
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    open: () => open,
    waitFor(count, timeoutMs = 5000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${received.length}`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(received); } });
      });
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

export interface MailServer {
  url: string;
  mails: Mail[];
  waitFor(count: number, timeoutMs?: number): Promise<Mail[]>;
  close(): Promise<void>;
}

export async function startMailServer(): Promise<MailServer> {
  const mails: Mail[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        for (const w of waiters.filter((w) => mails.length >= w.count)) w.resolve();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(count, timeoutMs = 5000) {
      if (mails.length >= count) return Promise.resolve(mails);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} mails within ${timeoutMs} ms, got ${mails.length}`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(mails); } });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The parts of a MIME message nodemailer wrote: headers (unfolded, RFC 2047 words left as they are) and each text
 * part decoded from quoted-printable or base64, by content type.
 */
export function parseMail(raw: string): { headers: Record<string, string>; parts: Record<string, string> } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = headerMap(head);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  const body = rest.join('\r\n\r\n');
  const sections = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${head}\r\n\r\n${body}`];
  for (const section of sections) {
    const [partHead = '', ...partBody] = section.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    const h = headerMap(partHead);
    const type = (h['content-type'] ?? 'text/plain').split(';')[0]!.trim();
    const text = partBody.join('\r\n\r\n');
    const encoding = (h['content-transfer-encoding'] ?? '').toLowerCase();
    parts[type] = encoding === 'base64' ? Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable' ? decodeQuotedPrintable(text) : text;
  }
  return { headers, parts };
}

function headerMap(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/\r\n/g, '\n');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === '=' && /^[0-9A-F]{2}$/i.test(bytes.slice(i + 1, i + 3))) {
      out.push(parseInt(bytes.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...Buffer.from(bytes[i]!, 'utf8'));
    }
  }
  return Buffer.from(out).toString('utf8');
}
