/*
 * Requests that go out only to addresses the guard allows (security.md, "Outbound requests"): checked when a URL is
 * saved and again at the moment of connecting, on the address actually connected to, so DNS rebinding cannot slip
 * through. The address rules themselves are in address-ranges.ts.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { OutboundRefused, OutboundTimeout, refusalReason, type AllowList, type Resolver } from './address-ranges.js';

export { OutboundRefused, OutboundTimeout, isForbiddenAddress, parseAllowList, refusalReason, type AllowList, type Cidr, type Resolver } from './address-ranges.js';

export const systemResolver: Resolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** The checks that need no DNS: scheme, userinfo, port, and names that are loopback by definition (RFC 6761). */
export function parseOutboundUrl(text: string): URL {
  let url: URL;
  try {
    // WHATWG parsing also turns 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into 127.0.0.1, and rejects zone ids.
    url = new URL(text);
  } catch {
    throw new OutboundRefused(JSON.stringify(text), 'not a valid URL');
  }
  const target = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused(target, 'only http and https');
  if (url.username !== '' || url.password !== '') throw new OutboundRefused(target, 'credentials in the URL');
  if (url.port === '0') throw new OutboundRefused(target, 'port 0');
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) throw new OutboundRefused(target, 'loopback');
  return url;
}

/** Addresses of `hostname` (an IP literal is its own answer), refused when any one of them is not allowed. */
export async function checkedAddresses(hostname: string, allow: AllowList, resolve: Resolver): Promise<string[]> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = net.isIP(bare) ? [bare] : await resolve(bare);
  if (addresses.length === 0) throw new OutboundRefused(hostname, 'host has no addresses');
  for (const address of addresses) {
    const reason = refusalReason(address, allow);
    if (reason) throw new OutboundRefused(hostname === address ? hostname : `${hostname} (${address})`, reason);
  }
  return addresses;
}

/** The create-time check. A DNS failure is thrown as is (it may be passing); a refusal is an OutboundRefused. */
export async function checkUrl(
  text: string,
  allow: AllowList,
  resolve: Resolver = systemResolver,
): Promise<{ url: URL; addresses: string[] }> {
  const url = parseOutboundUrl(text);
  return { url, addresses: await checkedAddresses(url.hostname, allow, resolve) };
}

export interface DispatcherOptions {
  resolve?: Resolver;
  connectTimeoutMs?: number;
  /**
   * Keep connections open this long between requests (a worker's shared dispatcher). Every connection is still
   * checked when it is made: a kept one goes to an address that passed, whatever the name resolves to since.
   */
  keepAliveMs?: number;
}

/** An undici Agent that resolves, checks, and then connects only to a checked address. */
export function guardedDispatcher(allow: AllowList, options: DispatcherOptions = {}): Agent {
  const resolve = options.resolve ?? systemResolver;
  const base = buildConnector({ timeout: options.connectTimeoutMs ?? 5000 });
  const connect: buildConnector.connector = (opts, callback) => {
    checkedAddresses(opts.hostname, allow, resolve).then(
      (addresses) => {
        // SNI and certificate checks still use the name; only the TCP destination is pinned to the checked address.
        const servername = opts.servername ?? (net.isIP(opts.hostname) ? undefined : opts.hostname);
        const attempt = (index: number, lastError: Error | null): void => {
          const address = addresses[index];
          if (address === undefined) return callback(lastError ?? new Error('no address to connect to'), null);
          base({ ...opts, hostname: address, servername }, (error, socket) => {
            if (error) return attempt(index + 1, error);
            // Belt and braces: judge the peer the kernel actually connected us to.
            const remote = socket.remoteAddress;
            const reason = remote === undefined ? 'no remote address' : refusalReason(remote, allow);
            if (reason) {
              socket.destroy();
              return callback(new OutboundRefused(`${opts.hostname} (${remote})`, reason), null);
            }
            callback(null, socket);
          });
        };
        attempt(0, null);
      },
      (error: Error) => callback(error, null),
    );
  };
  return new Agent(options.keepAliveMs === undefined
    ? { connect }
    : { connect, keepAliveTimeout: options.keepAliveMs, keepAliveMaxTimeout: options.keepAliveMs });
}

export const RESPONSE_READ_LIMIT = 64 * 1024;
export const RESPONSE_EXCERPT_LIMIT = 4 * 1024;

export interface GuardedRequestOptions {
  allow: AllowList;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole request: DNS, connect, headers and body (notifications.md: success is a 2xx within 10 s). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  resolve?: Resolver;
  /** A guardedDispatcher to send through (kept connections); by default one of its own, closed after the send. */
  dispatcher?: Agent;
}

export interface OutboundResponse {
  status: number;
  /** Only a 2xx is a success; a 3xx is a failure because redirects are not followed. */
  ok: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** The first 4 KiB of the body as text (what the delivery log stores). */
  excerpt: string;
  /** Bytes read, at most 64 KiB; `truncated` when the receiver had more and we hung up. */
  bytesRead: number;
  truncated: boolean;
  /** From the start of the request to the end of reading the response. */
  latencyMs: number;
}

export async function guardedRequest(target: string, options: GuardedRequestOptions): Promise<OutboundResponse> {
  const url = parseOutboundUrl(target);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 5000, timeoutMs);
  // Without a caller's dispatcher, one Agent for this send: nothing lingers after it.
  const agent = options.dispatcher ?? guardedDispatcher(options.allow, { resolve: options.resolve, connectTimeoutMs });
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    // undici 7 follows no redirects unless a redirect interceptor is composed in; none is.
    const response = await request(url, {
      method: options.method ?? 'POST',
      headers: options.headers,
      body: options.body,
      dispatcher: agent,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > RESPONSE_READ_LIMIT) {
        truncated = true;
        break; // leaving the loop destroys the body and with it the connection
      }
    }
    const body = Buffer.concat(chunks).subarray(0, RESPONSE_READ_LIMIT);
    return {
      status: response.statusCode,
      ok: response.statusCode >= 200 && response.statusCode < 300,
      headers: response.headers,
      excerpt: new TextDecoder().decode(body.subarray(0, RESPONSE_EXCERPT_LIMIT)),
      bytesRead: body.length,
      truncated,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (signal.aborted) throw new OutboundTimeout('request', timeoutMs);
    if ((error as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT') throw new OutboundTimeout('connect', connectTimeoutMs);
    throw error;
  } finally {
    if (agent !== options.dispatcher) agent.destroy().catch(() => {});
  }
}
