/*
 * The one way the interface talks to Tidewatch: fetch under /api/v1 with the session's bearer token. Every failure
 * becomes an ApiError carrying the API's own words ({"error": {"code", "message", "field"?}}, spec README "Errors"),
 * so a page can show what went wrong and which field it concerns; nothing fails silently.
 */
import { currentToken, signalSignedOut } from '../session/token-store';

export class ApiError extends Error {
  readonly status: number;
  /** TW_* code of the API, or NETWORK / BAD_ANSWER for failures before an answer could be read. */
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Use this token instead of the session's (signing in checks a token before keeping it). */
  token?: string;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token ?? currentToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', `Tidewatch could not be reached (${(error as Error).message}). Check that the server is running.`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const e = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    const error = e?.message
      ? new ApiError(response.status, e.code ?? `HTTP_${response.status}`, e.message, e.field)
      : new ApiError(response.status, `HTTP_${response.status}`, `${method} ${path} answered ${response.status} ${response.statusText}`.trim());
    // A token revoked or expired while the page is open: back to signing in, with the reason (not for the check itself).
    if (response.status === 401 && options.token === undefined) signalSignedOut(error.message);
    throw error;
  }
  if (json === undefined) throw new ApiError(response.status, 'BAD_ANSWER', `${method} ${path} answered with no JSON body`);
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, signal ? { signal } : {});
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body === undefined ? {} : { body });
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body === undefined ? {} : { body });
export const del = (path: string) => api<void>('DELETE', path);

/** An error of any kind in words, for places that only have `unknown`. */
export function describeError(error: unknown): { message: string; field?: string | undefined; code?: string } {
  if (error instanceof ApiError) return { message: error.message, field: error.field, code: error.code };
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}
