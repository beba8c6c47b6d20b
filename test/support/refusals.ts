import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { Db } from '../../src/core/db/database.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { requestTables } from './tables.js';

/** What a refused request must answer (security.md "Bad input"): the status, the code, the words, the field. */
export interface Refusal {
  status: number;
  code: ErrorCode;
  message: RegExp;
  field?: string;
}

/** The error body the spec promises: never a 5xx, JSON, code and message as expected, the field named (and only then). */
export function assertRefused(res: LightMyRequestResponse, expected: Refusal): void {
  assert.ok(res.statusCode < 500, `answered ${res.statusCode}: ${res.body}`);
  assert.equal(res.statusCode, expected.status, res.body.slice(0, 2000));
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const error = res.json().error;
  assert.equal(error.code, expected.code, res.body);
  assert.match(error.message, expected.message);
  if (expected.field !== undefined) assert.equal(error.field, expected.field, res.body);
  else if (expected.code !== 'TW_VALIDATION') assert.equal(error.field, undefined, res.body);
}

/** Rows per table a request writes in its own transaction (tables.ts: requestTables). */
export async function countRows(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of requestTables) {
    const r = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  return out;
}
