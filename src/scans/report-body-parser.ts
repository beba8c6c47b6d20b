import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';

/** security.md "Bad input": scan reports may be up to 10 MiB — on the wire, and once decompressed. */
export const REPORT_LIMIT_BYTES = 10 * 1024 * 1024;

const gunzipAsync = promisify(gunzip);

/**
 * Parsed reports whose text held no `\u0000` escape. JSON can carry U+0000 only as that escape (a raw control
 * character is a syntax error), so for these the walk of the whole tree (nulPath, as long as JSON.parse itself on
 * a Grype report) is skipped.
 */
const nulFree = new WeakSet<object>();

export function knownNulFree(json: unknown): boolean {
  return typeof json === 'object' && json !== null && nulFree.has(json);
}

/*
 * Text that may hold a prototype key: `"__proto__"` or `"constructor"` followed by a colon, or a letter of them
 * escaped (\u005f, \u0070, …). Only such text goes through Fastify's guarded parser; the rest is plain JSON.parse.
 * The guarded parser runs two regular expressions that start at every `"` of the text: a tenth of a report's parse
 * time. Descriptions that merely mention __proto__ (prototype-pollution advisories) are values, not keys.
 */
function mayHoldPrototypeKey(text: string): boolean {
  if (text.includes('\\u005') || text.includes('\\u006') || text.includes('\\u007')) return true;
  return occursAsKey(text, '"__proto__"') || occursAsKey(text, '"constructor"');
}

function occursAsKey(text: string, quoted: string): boolean {
  for (let i = text.indexOf(quoted); i !== -1; i = text.indexOf(quoted, i + 1)) {
    let j = i + quoted.length;
    while (j < text.length && (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t')) j++;
    if (text[j] === ':') return true;
  }
  return false;
}

/**
 * The body parser of the scan-report scope (a Fastify plugin scope, so other routes keep their own): JSON under
 * application/json and any `+json` type scanners and CI tools send (application/vnd.cyclonedx+json,
 * application/sarif+json), optionally `Content-Encoding: gzip`. Decompression is capped at the same limit, so a gzip
 * bomb is a 413 after 10 MiB of output, not an exhausted heap.
 */
export function registerReportBodyParser(app: FastifyInstance, limit = REPORT_LIMIT_BYTES): void {
  const guardedParse = app.getDefaultJsonParser('error', 'error');
  const parse = async (request: FastifyRequest, body: Buffer): Promise<unknown> => {
    const text = (await decoded(request, body, limit)).toString('utf8');
    const json = mayHoldPrototypeKey(text) || text.trim() === '' ? await guarded(request, text) : JSON.parse(text) as unknown; // a SyntaxError is answered 400 TW_MALFORMED_JSON with its position
    if (typeof json === 'object' && json !== null && !text.includes('\\u0000')) nulFree.add(json);
    return json;
  };
  // Fastify's own parser: the same refusal of "__proto__"/"constructor.prototype" keys and the same errors.
  const guarded = (request: FastifyRequest, text: string) => new Promise<unknown>((resolve, reject) => {
    guardedParse(request, text, (error: Error | null, value?: unknown) => (error ? reject(error) : resolve(value)));
  });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse);
  app.addContentTypeParser(/^application\/[a-z0-9!#$&^_.-]+\+json\s*(;.*)?$/i, { parseAs: 'buffer' }, parse);
}

async function decoded(request: FastifyRequest, body: Buffer, limit: number): Promise<Buffer> {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ApiError('TW_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted: send the report as it is, or gzip-compressed with Content-Encoding: gzip`);
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new ApiError('TW_PAYLOAD_TOO_LARGE', `the body is larger than this endpoint accepts (at most ${limit} bytes once decompressed)`);
    }
    throw new ApiError('TW_BAD_REQUEST', `the body is sent with Content-Encoding: gzip but does not decompress: ${(error as Error).message}`);
  }
}
