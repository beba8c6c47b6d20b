import { request } from 'undici';
import { fail } from './output.js';

/** Where the CLI talks to: TIDEWATCH_URL and TIDEWATCH_TOKEN, or the flags that override them. */
export interface ApiTarget {
  url: string;
  token: string;
}

export function apiTarget(flags: { url?: string; token?: string }, env = process.env): ApiTarget {
  const url = flags.url ?? env.TIDEWATCH_URL;
  const token = flags.token ?? env.TIDEWATCH_TOKEN;
  if (!url) fail('TIDEWATCH_URL is not set: export TIDEWATCH_URL=https://tidewatch.example.com (or pass --url)', 2);
  if (!/^https?:\/\/[^/\s]+/.test(url)) fail(`TIDEWATCH_URL must be an http(s) URL, got "${url}"`, 2);
  if (!token) fail('TIDEWATCH_TOKEN is not set: export a token with role write (or pass --token)', 2);
  return { url: url.replace(/\/+$/, ''), token };
}

/**
 * Calls the API; on anything but 2xx, fails with the server's own message (it names the field and the rule). A Buffer
 * body is sent as it is (a scan report, maybe gzip-compressed: say so in `headers`); anything else as JSON.
 */
export async function callApi<T>(
  target: ApiTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  let res;
  try {
    res = await request(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        'user-agent': 'tidewatch-cli',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return fail(`cannot reach Tidewatch at ${target.url}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim());
  }
  const text = await res.body.text();
  let parsed: any = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* reported below */ }
  if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, body: parsed as T };
  const reason = parsed?.error?.message ?? (text.slice(0, 200) || 'no message');
  const code = parsed?.error?.code ? ` ${parsed.error.code}` : '';
  return fail(`Tidewatch answered ${res.statusCode}${code}: ${reason}`);
}
