/*
 * Which addresses outbound requests may reach (security.md, "Outbound requests"): loopback, private, link-local
 * (with cloud metadata), CGNAT, multicast, unspecified and reserved ranges are refused, IPv4 and IPv6 alike, and IPv4
 * embedded in IPv6 (mapped, NAT64, 6to4, Teredo) is judged by the IPv4 rules. An operator's allow-list
 * (TIDEWATCH_OUTBOUND_ALLOW) opens ranges for on-premises receivers.
 */
import net from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
  readonly text: string;
}
/** Ranges opened by TIDEWATCH_OUTBOUND_ALLOW for on-premises receivers; empty by default. */
export type AllowList = readonly Cidr[];
/** Host name → addresses; injectable so tests can make any name resolve anywhere. */
export type Resolver = (hostname: string) => Promise<string[]>;

export class OutboundRefused extends Error {
  readonly reason: string;
  constructor(target: string, reason: string) {
    super(`outbound request to ${target} refused: ${reason}`);
    this.name = 'OutboundRefused';
    this.reason = reason;
  }
}

export class OutboundTimeout extends Error {
  readonly phase: 'connect' | 'request';
  constructor(phase: 'connect' | 'request', timeoutMs: number) {
    super(`outbound ${phase} timed out after ${timeoutMs} ms`);
    this.name = 'OutboundTimeout';
    this.phase = phase;
  }
}

const MASK32 = 0xffffffffn;

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function bigIntToV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** Expects text that net.isIPv6 accepted (no zone id). */
function v6ToBigInt(ip: string): bigint {
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4ToBigInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function parseCidr(text: string): Cidr {
  const [address = '', prefixText, extra] = text.split('/');
  const family = net.isIPv4(address) ? 4 : net.isIPv6(address) ? 6 : 0;
  if (family === 0 || extra !== undefined) throw new Error(`"${text}" is not an IPv4 or IPv6 CIDR`);
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) {
    throw new Error(`"${text}" has a bad prefix length (0..${bits})`);
  }
  const value = family === 4 ? v4ToBigInt(address) : v6ToBigInt(address);
  const hostBits = BigInt(bits - prefix);
  const network = (value >> hostBits) << hostBits;
  // 10.0.0.1/8 is more likely a typo than a wish to open all of 10/8; say so instead of guessing.
  if (network !== value) throw new Error(`"${text}" has host bits set beyond /${prefix}`);
  return { family, network, prefix, text };
}

function contains(cidr: Cidr, family: 4 | 6, value: bigint): boolean {
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return cidr.family === family && value >> hostBits === cidr.network >> hostBits;
}

/** TIDEWATCH_OUTBOUND_ALLOW: comma-separated CIDRs (a bare address means that one host). */
export function parseAllowList(text: string | undefined): AllowList {
  const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return Object.freeze(
    entries.map((entry) => {
      try {
        return parseCidr(entry);
      } catch (error) {
        throw new Error(`TIDEWATCH_OUTBOUND_ALLOW: ${(error as Error).message}`);
      }
    }),
  );
}

// First match wins, so a narrow range sits before the wider one holding it.
const table = (rows: Array<[string, string]>) => rows.map(([cidr, reason]) => ({ cidr: parseCidr(cidr), reason }));
const V4_RANGES = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.100.100.200/32', 'cloud metadata'], // Alibaba Cloud
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['168.63.129.16/32', 'cloud metadata'], // Azure WireServer: public, but answers only the VM's host
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'reserved (IETF protocol assignments)'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved (6to4 relay anycast)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);
const V6_RANGES = table([
  ['64:ff9b:1::/48', 'reserved (local-use NAT64)'],
  ['100::/64', 'reserved (discard-only)'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'reserved (IETF protocol assignments)'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved (SRv6)'],
  ['fd00:ec2::254/128', 'cloud metadata'], // AWS IMDS over IPv6
  ['fc00::/7', 'unique local (RFC 4193)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
]);
/*
 * IPv6 forms that carry an IPv4 address a packet can end up at. The embedded address is judged by the IPv4 rules, so
 * ::ffff:127.0.0.1, 64:ff9b::a00:1 (NAT64 to 10.0.0.1) or 2002:a9fe:a9fe:: (6to4 via 169.254.169.254) are refused.
 */
const EMBEDDED: Array<{ cidr: Cidr; label: string; v4s: (value: bigint) => bigint[] }> = [
  { cidr: parseCidr('::ffff:0:0/96'), label: 'IPv4-mapped', v4s: (v) => [v & MASK32] },
  { cidr: parseCidr('::/96'), label: 'IPv4-compatible', v4s: (v) => [v & MASK32] },
  { cidr: parseCidr('64:ff9b::/96'), label: 'NAT64', v4s: (v) => [v & MASK32] },
  { cidr: parseCidr('2002::/16'), label: '6to4', v4s: (v) => [(v >> 80n) & MASK32] },
  // Teredo: server at bits 32..63, client (bit-inverted) in the last 32 bits.
  { cidr: parseCidr('2001::/32'), label: 'Teredo', v4s: (v) => [(v >> 64n) & MASK32, (v & MASK32) ^ MASK32] },
];
const GLOBAL_UNICAST = parseCidr('2000::/3');

function v4Reason(value: bigint): string | null {
  return V4_RANGES.find((range) => contains(range.cidr, 4, value))?.reason ?? null;
}

function v6Reason(value: bigint): string | null {
  if (value === 0n) return 'unspecified';
  if (value === 1n) return 'loopback';
  for (const form of EMBEDDED) {
    if (!contains(form.cidr, 6, value)) continue;
    for (const v4 of form.v4s(value)) {
      const reason = v4Reason(v4);
      if (reason) return `${form.label} ${bigIntToV4(v4)}: ${reason}`;
    }
    // ::a.b.c.d is deprecated and routed nowhere sensible; the other forms with a public IPv4 are ordinary.
    if (form.label === 'IPv4-compatible') return 'reserved (IPv4-compatible, deprecated)';
    return null;
  }
  const listed = V6_RANGES.find((range) => contains(range.cidr, 6, value))?.reason;
  if (listed) return listed;
  return contains(GLOBAL_UNICAST, 6, value) ? null : 'reserved (outside global unicast 2000::/3)';
}

/** Why a connection to `ip` must not be made, or null when it is an ordinary public address. */
export function isForbiddenAddress(ip: string): string | null {
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  if (net.isIPv4(bare) && zone === -1) return v4Reason(v4ToBigInt(bare));
  if (!net.isIPv6(bare)) return 'not an IP address';
  return v6Reason(v6ToBigInt(bare)) ?? (zone === -1 ? null : 'scoped address (zone id)');
}

function isAllowed(ip: string, allow: AllowList): boolean {
  if (net.isIPv4(ip)) return allow.some((cidr) => contains(cidr, 4, v4ToBigInt(ip)));
  if (!net.isIPv6(ip)) return false;
  const value = v6ToBigInt(ip);
  // A dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1; it is the same endpoint, so 127.0.0.1/32 covers it.
  const mapped = contains(EMBEDDED[0]!.cidr, 6, value);
  return allow.some((cidr) => contains(cidr, 6, value) || (mapped && contains(cidr, 4, value & MASK32)));
}

/** The reason to refuse `ip` under this allow list, or null. */
export function refusalReason(ip: string, allow: AllowList): string | null {
  const reason = isForbiddenAddress(ip);
  return reason && !isAllowed(ip, allow) ? reason : null;
}
