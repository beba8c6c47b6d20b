/*
 * Everything between a scan report's bytes and its parsed findings that needs no database: decompressing, JSON,
 * the checks on the text, the format's parser. Pure (bytes in, plain data out), so it runs in a worker thread
 * (report-parse-pool.ts) while the main thread writes other reports to the database.
 */
import { gunzipSync } from 'node:zlib';
import { descriptionHash } from './description-store.js';
import { jsonText } from './json-text.js';
import sjson from 'secure-json-parse';
import { isVexOnly } from './parsers/cyclonedx-parser.js';
import { nulPath } from './parsers/json-reading.js';
import { parseReport } from './parsers/parse-report.js';
import { ReportError, type ParsedReport } from './parsers/report-types.js';

export interface PrepareRequest {
  bytes: Uint8Array;
  gzip: boolean;
  /** Most bytes the body may have once decompressed. */
  limit: number;
}

/** Why a body is refused; report-body-parser.ts turns each into the API's error. */
export type PrepareFailure =
  | { kind: 'too-large' }
  | { kind: 'gunzip'; message: string }
  | { kind: 'empty' }
  | { kind: 'syntax'; message: string }
  | { kind: 'forbidden-key' }
  | { kind: 'nul'; path: string }
  | { kind: 'report'; message: string };

export type PrepareResult =
  | { ok: true; report: ParsedReport; vex: boolean; descriptionHashes: Array<string | null> }
  | { ok: false; failure: PrepareFailure };

/**
 * `stored`: hashes of descriptions the database holds (the main thread said so after their commit). A finding whose
 * description is one of them comes back with the hash and without the text: the main thread would only drop it, and
 * copying the texts across was most of what it spent receiving a report (0.3 of 0.4 ms for Trivy's juice-shop).
 */
export function prepareReport(request: PrepareRequest, stored: ReadonlySet<string> = new Set()): PrepareResult {
  let bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  if (request.gzip) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: request.limit });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return fail({ kind: 'too-large' });
      return fail({ kind: 'gunzip', message: (error as Error).message });
    }
  }
  const text = jsonText(bytes);
  // Not trim(), which copies: the text may be padded with ~200 KB of spaces (json-text.ts).
  if (!/\S/.test(text)) return fail({ kind: 'empty' });
  let json: unknown;
  if (mayHoldPrototypeKey(text)) {
    // The guarded parse Fastify uses for every other body: "__proto__" and "constructor.prototype" keys are refused.
    try {
      json = sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      return fail({ kind: 'forbidden-key' });
    }
  } else {
    try {
      json = JSON.parse(text);
    } catch (error) {
      // The message names a position in the text: that of the text as sent, not of its escaped form.
      return fail({ kind: 'syntax', message: syntaxMessage(bytes) ?? (error as Error).message });
    }
  }
  // JSON carries U+0000 only as the escape \u0000 (a raw control character is a syntax error): without it in the
  // text, the walk of the whole tree is skipped.
  if (text.includes('\\u0000')) {
    const at = nulPath(json);
    if (at !== null) return fail({ kind: 'nul', path: at });
  }
  try {
    const report = parseReport(json);
    const vex = isVexOnly(json);
    return { ok: true, report, vex, descriptionHashes: hashesOf(report, vex ? new Set() : stored) };
  } catch (error) {
    if (error instanceof ReportError) return fail({ kind: 'report', message: error.message });
    throw error;
  }
}

const fail = (failure: PrepareFailure): PrepareResult => ({ ok: false, failure });

function syntaxMessage(bytes: Buffer): string | null {
  try {
    JSON.parse(bytes.toString('utf8'));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Each finding's descriptionHash (description-store.ts), here rather than on the main thread; a text repeated in the
 * report is hashed once. The texts of `stored` hashes are taken out of the findings.
 */
function hashesOf(report: ParsedReport, stored: ReadonlySet<string>): Array<string | null> {
  const seen = new Map<string, string>();
  return report.findings.map((finding) => {
    const { description } = finding;
    if (description === null) return null;
    let hash = seen.get(description);
    if (hash === undefined) seen.set(description, hash = descriptionHash(description));
    if (stored.has(hash)) finding.description = null;
    return hash;
  });
}

/*
 * Text that may hold a prototype key: `"__proto__"` or `"constructor"` followed by a colon, or a letter of them
 * escaped (\u005f, \u0070, …). Only such text takes the guarded parse, whose two regular expressions start at every
 * `"` of the text (a tenth of a report's parse time). Descriptions that merely mention __proto__ (prototype-pollution
 * advisories) are values, not keys. (This too reads the whole text, ~0.6 ms for a 1.9 MB report, but in the worker.)
 */
export function mayHoldPrototypeKey(text: string): boolean {
  if (text.includes('\\u005') || text.includes('\\u006') || text.includes('\\u007')) return true;
  return PROTOTYPE_KEY.test(text);
}

// One pass for both keys (0.5 ms on a 1.9 MB report; two indexOf passes took 1.4 ms).
const PROTOTYPE_KEY = /"(?:__proto__|constructor)"\s*:/;
