import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkedAddresses,
  checkUrl,
  guardedDispatcher,
  guardedRequest,
  isForbiddenAddress,
  OutboundRefused,
  OutboundTimeout,
  parseAllowList,
  refusalReason,
  systemResolver,
  type Resolver,
} from './outbound-guard.js';

const LOOPBACK_ALLOWED = parseAllowList('127.0.0.1/32');
const resolvesTo = (...addresses: string[]): Resolver => async () => addresses;
const refused = (reason: RegExp) => (error: unknown) => error instanceof OutboundRefused && reason.test(error.reason);

/** A real HTTP receiver that counts what reaches it. */
async function receiver(host: string, handler: http.RequestListener = (_req, res) => res.end('ok')) {
  const seen = { connections: 0, requests: 0, bodies: [] as string[], hosts: [] as string[] };
  const server = http.createServer((req, res) => {
    seen.requests += 1;
    seen.hosts.push(req.headers.host ?? '');
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.bodies.push(body);
      handler(req, res);
    });
  });
  server.on('connection', () => (seen.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://${host}:${port}/`, port, seen, close };
}

const forbidden: Array<[ip: string, reason: RegExp]> = [
  ['127.0.0.1', /^loopback$/],
  ['127.255.255.254', /^loopback$/],
  ['::1', /^loopback$/],
  ['10.0.0.1', /RFC 1918/],
  ['172.16.0.1', /RFC 1918/],
  ['172.31.255.255', /RFC 1918/],
  ['192.168.1.1', /RFC 1918/],
  ['169.254.169.254', /cloud metadata/],
  ['169.254.1.1', /^link-local$/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['100.127.255.255', /carrier-grade NAT/],
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['::', /unspecified/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['ff02::1', /multicast/],
  ['240.0.0.1', /reserved/],
  ['255.255.255.255', /broadcast/],
  ['192.0.2.1', /documentation/],
  ['203.0.113.9', /documentation/],
  ['2001:db8::1', /documentation/],
  ['198.18.0.1', /benchmarking/],
  ['fc00::1', /RFC 4193/],
  ['fd12:3456:789a::1', /RFC 4193/],
  ['fd00:ec2::254', /cloud metadata/],
  ['fe80::1', /^link-local$/],
  ['fe80::1%eth0', /^link-local$/],
  ['fec0::1', /site-local/],
  ['::ffff:10.0.0.1', /^IPv4-mapped 10\.0\.0\.1: private/],
  ['::ffff:169.254.169.254', /^IPv4-mapped 169\.254\.169\.254: cloud metadata/],
  ['::ffff:7f00:1', /^IPv4-mapped 127\.0\.0\.1: loopback/],
  ['::ffff:0.0.0.0', /^IPv4-mapped 0\.0\.0\.0: unspecified/],
  ['::127.0.0.1', /^IPv4-compatible 127\.0\.0\.1: loopback/],
  ['::8.8.8.8', /IPv4-compatible, deprecated/],
  ['64:ff9b::10.0.0.1', /^NAT64 10\.0\.0\.1: private/],
  ['64:ff9b::a9fe:a9fe', /^NAT64 169\.254\.169\.254: cloud metadata/],
  ['2002:7f00:1::1', /^6to4 127\.0\.0\.1: loopback/],
  ['2002:c0a8:101::1', /^6to4 192\.168\.1\.1: private/],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /^Teredo 192\.0\.2\.45: documentation/],
  ['2001:0:7f00:1::', /^Teredo 127\.0\.0\.1: loopback/],
  ['100::1', /discard-only/],
  ['4000::1', /outside global unicast/],
  ['127.1', /not an IP address/],
  ['example.com', /not an IP address/],
];

for (const [ip, reason] of forbidden) {
  test(`isForbiddenAddress refuses ${ip}`, () => {
    const got = isForbiddenAddress(ip);
    assert.ok(got !== null && reason.test(got), `${ip} → ${got}`);
  });
}

const publicAddresses = [
  '93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '11.0.0.1',
  '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
];
for (const ip of publicAddresses) {
  test(`isForbiddenAddress lets ${ip} through`, () => assert.equal(isForbiddenAddress(ip), null));
}

const refusedUrls: Array<[url: string, reason: RegExp, resolve?: Resolver]> = [
  ['http://127.0.0.1/', /loopback/],
  ['http://2130706433/', /loopback/],
  ['http://0177.0.0.1/', /loopback/],
  ['http://0x7f.1/', /loopback/],
  ['http://0x7f000001/', /loopback/],
  ['http://127.1/', /loopback/],
  ['http://0/', /unspecified/],
  ['http://[::1]:8080/', /loopback/],
  ['http://[::ffff:127.0.0.1]/', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['http://[::ffff:7f00:1]/', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['http://[fe80::1%25eth0]/', /not a valid URL/],
  ['http://[fd00:ec2::254]/', /cloud metadata/],
  ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
  ['https://10.1.2.3:8443/hook', /RFC 1918/],
  ['http://localhost/', /loopback/],
  ['http://LOCALHOST./', /loopback/],
  ['http://api.localhost/', /loopback/],
  ['ftp://example.com/', /only http and https/],
  ['file:///etc/passwd', /only http and https/],
  ['http://user:secret@example.com/', /credentials/],
  ['http://example.com:0/', /port 0/],
  ['not a url', /not a valid URL/],
  ['http://internal.test/', /RFC 1918/, resolvesTo('10.0.0.5')],
  ['http://mixed.test/', /RFC 1918/, resolvesTo('93.184.216.34', '192.168.0.1')],
  ['http://v6.test/', /link-local/, resolvesTo('2606:2800:220:1::', 'fe80::1')],
  ['http://metadata.test/', /cloud metadata/, resolvesTo('::ffff:169.254.169.254')],
  ['http://nowhere.test/', /no addresses/, resolvesTo()],
];

for (const [url, reason, resolve] of refusedUrls) {
  test(`checkUrl refuses ${url}`, async () => {
    await assert.rejects(checkUrl(url, [], resolve ?? resolvesTo('93.184.216.34')), refused(reason));
  });
}

test('checkUrl accepts public addresses without connecting, and the allow list opens loopback', async () => {
  const never: Resolver = async () => assert.fail('an IP literal needs no DNS');
  assert.deepEqual((await checkUrl('http://93.184.216.34/hook', [], never)).addresses, ['93.184.216.34']);
  assert.deepEqual((await checkUrl('https://[2606:4700:4700::1111]:8443/', [], never)).addresses, ['2606:4700:4700::1111']);
  assert.deepEqual((await checkUrl('https://hooks.example.com/x', [], resolvesTo('93.184.216.34'))).addresses, ['93.184.216.34']);
  await checkUrl('http://127.0.0.1:8080/', LOOPBACK_ALLOWED, never);
  await assert.rejects(checkUrl('http://127.0.0.2:8080/', LOOPBACK_ALLOWED, never), refused(/loopback/));
  assert.equal(refusalReason('::ffff:127.0.0.1', LOOPBACK_ALLOWED), null);
  assert.equal(refusalReason('fd00::5', parseAllowList('fd00::/8')), null);
});

test('the system resolver sees localhost as loopback', async () => {
  await assert.rejects(checkedAddresses('localhost', [], systemResolver), refused(/loopback/));
});

test('parseAllowList reads CIDRs and names a bad entry', () => {
  assert.deepEqual(parseAllowList(' 127.0.0.1/32, 10.0.0.0/8,fd00::/8 ,').map((c) => c.text), ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8']);
  assert.deepEqual(parseAllowList(''), []);
  assert.deepEqual(parseAllowList(undefined), []);
  assert.equal(parseAllowList('192.168.1.7')[0]?.prefix, 32);
  for (const bad of ['10.0.0.0/33', 'intranet', '10.0.0.1/8', '::1/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x']) {
    assert.throws(() => parseAllowList(`127.0.0.1/32,${bad}`), (error: Error) => error.message.includes(`"${bad}"`));
  }
});

test('by default a real loopback receiver is refused at connect time', async () => {
  const target = await receiver('127.0.0.1');
  try {
    await assert.rejects(guardedRequest(target.url, { allow: [], body: '{}' }), refused(/^loopback$/));
    // A name resolving to loopback is refused by the dispatcher's own lookup, not only by checkUrl.
    const named = `http://receiver.test:${target.port}/`;
    await assert.rejects(guardedRequest(named, { allow: [], resolve: resolvesTo('127.0.0.1') }), refused(/^loopback$/));
    assert.equal(target.seen.connections, 0);
  } finally {
    await target.close();
  }
});

test('with 127.0.0.1/32 allowed the same receiver gets the request', async () => {
  const target = await receiver('127.0.0.1', (_req, res) => res.writeHead(202).end('accepted'));
  try {
    const response = await guardedRequest(target.url, {
      allow: LOOPBACK_ALLOWED,
      headers: { 'content-type': 'application/json' },
      body: '{"repository":"acme/web"}',
    });
    assert.equal(response.status, 202);
    assert.equal(response.ok, true);
    assert.equal(response.excerpt, 'accepted');
    assert.ok(response.latencyMs >= 0);
    assert.deepEqual(target.seen.bodies, ['{"repository":"acme/web"}']);
  } finally {
    await target.close();
  }
});

test('a name that rebinds to loopback after the create-time check is refused at send', async () => {
  const target = await receiver('127.0.0.1');
  try {
    const url = `http://rebind.test:${target.port}/`;
    await checkUrl(url, [], resolvesTo('93.184.216.34'));
    await assert.rejects(guardedRequest(url, { allow: [], resolve: resolvesTo('127.0.0.1') }), refused(/loopback/));
    // Any one bad address refuses the lot, even when the first one would be allowed.
    const mixed = resolvesTo('127.0.0.1', '10.0.0.1');
    await assert.rejects(guardedRequest(url, { allow: LOOPBACK_ALLOWED, resolve: mixed }), refused(/RFC 1918/));
    assert.equal(target.seen.connections, 0);
    // The connection goes to the checked address while the request keeps its name.
    await guardedRequest(url, { allow: LOOPBACK_ALLOWED, resolve: resolvesTo('127.0.0.1'), body: 'x' });
    assert.deepEqual(target.seen.hosts, [`rebind.test:${target.port}`]);
  } finally {
    await target.close();
  }
});

test('a redirect to a private address comes back as a failed 3xx and is not followed', async () => {
  const inside = await receiver('127.0.0.2');
  const outside = await receiver('127.0.0.1', (_req, res) => res.writeHead(302, { location: inside.url }).end());
  try {
    const response = await guardedRequest(outside.url, { allow: LOOPBACK_ALLOWED, body: '{}' });
    assert.equal(response.status, 302);
    assert.equal(response.ok, false);
    assert.equal(response.headers.location, inside.url);
    assert.equal(inside.seen.connections, 0);
    await assert.rejects(checkUrl(inside.url, LOOPBACK_ALLOWED), refused(/loopback/));
  } finally {
    await Promise.all([inside.close(), outside.close()]);
  }
});

test('a receiver that never answers hits the whole-request timeout', async () => {
  const slow = await receiver('127.0.0.1', () => {});
  try {
    const started = Date.now();
    await assert.rejects(
      guardedRequest(slow.url, { allow: LOOPBACK_ALLOWED, body: '{}', timeoutMs: 300 }),
      (error: unknown) => error instanceof OutboundTimeout && error.phase === 'request',
    );
    assert.ok(Date.now() - started < 2000);
  } finally {
    await slow.close();
  }
});

test('a 1 MiB response is read only up to 64 KiB and 4 KiB of it kept', async () => {
  const big = await receiver('127.0.0.1', (_req, res) => res.writeHead(500).end(Buffer.alloc(1024 * 1024, 'a')));
  try {
    const response = await guardedRequest(big.url, { allow: LOOPBACK_ALLOWED, body: '{}' });
    assert.equal(response.status, 500);
    assert.equal(response.ok, false);
    assert.equal(response.bytesRead, 64 * 1024);
    assert.equal(response.truncated, true);
    assert.equal(response.excerpt, 'a'.repeat(4096));
  } finally {
    await big.close();
  }
});

test('reading stops at the limit: an endless response ends the request, not the timeout', async () => {
  let hungUp = false;
  const endless = await receiver('127.0.0.1', (_req, res) => {
    const chunk = Buffer.alloc(16 * 1024, 'b');
    res.on('close', () => (hungUp = true));
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  try {
    const response = await guardedRequest(endless.url, { allow: LOOPBACK_ALLOWED, timeoutMs: 5000 });
    assert.equal(response.bytesRead, 64 * 1024);
    assert.equal(response.truncated, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(hungUp, 'the client dropped the connection');
  } finally {
    await endless.close();
  }
});

test('a worker\'s shared dispatcher keeps one connection for many sends; each new connection is still checked', async () => {
  const target = await receiver('127.0.0.1');
  let answer = '127.0.0.1';
  const dispatcher = guardedDispatcher(LOOPBACK_ALLOWED, { resolve: async () => [answer], keepAliveMs: 4000 });
  try {
    const url = `http://kept.test:${target.port}/`;
    for (let i = 0; i < 20; i++) {
      const response = await guardedRequest(url, { allow: LOOPBACK_ALLOWED, body: String(i), dispatcher });
      assert.equal(response.status, 200);
    }
    const kept = target.seen.connections;
    assert.equal(target.seen.requests, 20);
    assert.ok(kept <= 2, `20 sends over ${kept} connections (a connection per send without the shared dispatcher)`);
    // The name now resolves to a private address: a new connection (another port of it) through the same dispatcher
    // is checked and refused.
    answer = '10.0.0.1';
    await assert.rejects(guardedRequest(`http://kept.test:${target.port + 1}/`, { allow: LOOPBACK_ALLOWED, body: 'x', dispatcher }), refused(/RFC 1918/));
    assert.equal(target.seen.connections, kept);
  } finally {
    await dispatcher.destroy().catch(() => {});
    await target.close();
  }
});
