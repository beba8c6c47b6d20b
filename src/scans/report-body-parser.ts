import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';

/** security.md "Bad input": scan reports may be up to 10 MiB — on the wire, and once decompressed. */
export const REPORT_LIMIT_BYTES = 10 * 1024 * 1024;

const gunzipAsync = promisify(gunzip);

/**
 * The body parser of the scan-report scope (a Fastify plugin scope, so other routes keep their own): JSON under
 * application/json and any `+json` type scanners and CI tools send (application/vnd.cyclonedx+json,
 * application/sarif+json), optionally `Content-Encoding: gzip`. Decompression is capped at the same limit, so a gzip
 * bomb is a 413 after 10 MiB of output, not an exhausted heap.
 */
export function registerReportBodyParser(app: FastifyInstance, limit = REPORT_LIMIT_BYTES): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parse = async (request: FastifyRequest, body: Buffer): Promise<unknown> => {
    const bytes = await decoded(request, body, limit);
    // Fastify's own JSON parser: the same refusal of "__proto__"/"constructor.prototype" keys and the same errors.
    return new Promise((resolve, reject) => {
      parseJson(request, bytes.toString('utf8'), (error: Error | null, value?: unknown) => (error ? reject(error) : resolve(value)));
    });
  };
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
