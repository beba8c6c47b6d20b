import { CompiledQuery } from 'kysely';
import type { Db } from './database.js';
import type { EngineCapabilities } from './engine.js';
import type { Database } from './schema.js';

const CHUNK = 500;

/**
 * Row counts of the INSERTs of one batch: 500s, then the rest in powers of two — so every INSERT has one of ten
 * shapes. The SQLite statement cache (database.ts, keyed by SQL text) then holds ten statements per table instead of
 * one per remainder, and no statement nears a bound-parameter limit (SQLite 32,766; PostgreSQL 65,535): 500 rows of
 * 13 columns are 6,500.
 */
export function batchSizes(total: number): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left >= CHUNK) { sizes.push(CHUNK); left -= CHUNK; }
  for (let size = 256; size >= 1; size >>= 1) if (left >= size) { sizes.push(size); left -= size; }
  return sizes;
}

// SQL text by engine, table and row count: compiled once by Kysely, then reused with new parameters.
const texts = new Map<string, string>();

/**
 * Inserts many rows of one table in multi-row INSERTs (a scan's findings, its events: hundreds at a time). Kysely
 * builds and compiles an INSERT of 500 rows in about a millisecond; the SQL text only depends on the row count, so it
 * is compiled once per shape and the parameters are laid out here in the same column order.
 */
export async function insertRows<T extends keyof Database & string, R extends object>(
  trx: Db, engine: EngineCapabilities, table: T, columns: ReadonlyArray<keyof R & string>, rows: readonly R[],
  options: { ignoreConflictOn?: keyof R & string } = {},
): Promise<void> {
  let at = 0;
  const conflict = options.ignoreConflictOn;
  for (const size of batchSizes(rows.length)) {
    const key = `${engine.name}/${table}/${columns.join(',')}/${size}/${conflict ?? ''}`;
    let text = texts.get(key);
    if (text === undefined) {
      const placeholder = Object.fromEntries(columns.map((c) => [c, null]));
      let insert = trx.insertInto(table).values(Array.from({ length: size }, () => placeholder) as never);
      // A row whose key is already there is left as it is (rows that are the same whoever writes them).
      if (conflict !== undefined) insert = insert.onConflict((oc) => oc.column(conflict as never).doNothing());
      text = insert.compile().sql;
      texts.set(key, text);
    }
    const parameters: unknown[] = new Array(size * columns.length);
    let k = 0;
    for (let i = at; i < at + size; i++) {
      const row = rows[i] as Record<string, unknown>;
      for (const c of columns) parameters[k++] = row[c];
    }
    await trx.executeQuery(CompiledQuery.raw(text, parameters));
    at += size;
  }
}
