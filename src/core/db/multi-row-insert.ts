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

// SQL text by engine, table, columns and row count: compiled once, then reused with new parameters.
const texts = new Map<string, string>();

export interface InsertOptions<R> {
  /** A row whose key is already there is left as it is (rows that are the same whoever writes them). */
  ignoreConflictOn?: keyof R & string;
  /**
   * Columns that often have one value in every row (a scan's id, workspace and digest in each of its findings). Those
   * that do in a batch are bound once per INSERT (`INSERT … SELECT ?, …, column1, … FROM (VALUES …)`): better-sqlite3
   * converts and copies every bound string, and these were a third of a scan's parameters. Where the engine lacks
   * that form (engine.ts insertFromValues), or a conflict is ignored, they are bound in every row.
   */
  oftenSame?: ReadonlyArray<keyof R & string>;
}

/**
 * Inserts many rows of one table in multi-row INSERTs (a scan's findings, its events: hundreds at a time). Kysely
 * builds and compiles an INSERT of 500 rows in about a millisecond; the SQL text only depends on the row count, so it
 * is compiled once per shape and the parameters are laid out here in the same column order.
 */
export async function insertRows<T extends keyof Database & string, R extends object>(
  trx: Db, engine: EngineCapabilities, table: T, columns: ReadonlyArray<keyof R & string>, rows: readonly R[],
  options: InsertOptions<R> = {},
): Promise<void> {
  if (rows.length === 0) return;
  const first = rows[0] as Record<string, unknown>;
  const same = engine.insertFromValues && options.ignoreConflictOn === undefined
    ? (options.oftenSame ?? []).filter((c) => rows.every((r) => (r as Record<string, unknown>)[c] === first[c]))
    : [];
  if (same.length === columns.length) same.pop(); // VALUES needs a column
  const varying = same.length === 0 ? columns : columns.filter((c) => !same.includes(c));
  let at = 0;
  for (const size of batchSizes(rows.length)) {
    const key = `${engine.name}/${table}/${same.join(',')}/${varying.join(',')}/${size}/${options.ignoreConflictOn ?? ''}`;
    let text = texts.get(key);
    if (text === undefined) texts.set(key, text = same.length > 0 ? selectText(table, same, varying, size) : valuesText(trx, table, columns, size, options.ignoreConflictOn));
    const parameters: unknown[] = new Array(same.length + size * varying.length);
    let k = 0;
    for (const c of same) parameters[k++] = first[c];
    for (let i = at; i < at + size; i++) {
      const row = rows[i] as Record<string, unknown>;
      for (const c of varying) parameters[k++] = row[c];
    }
    await trx.executeQuery(CompiledQuery.raw(text, parameters));
    at += size;
  }
}

function valuesText(trx: Db, table: string, columns: readonly string[], size: number, conflict: string | undefined): string {
  const placeholder = Object.fromEntries(columns.map((c) => [c, null]));
  let insert = trx.insertInto(table as keyof Database).values(Array.from({ length: size }, () => placeholder) as never);
  if (conflict !== undefined) insert = insert.onConflict((oc) => oc.column(conflict as never).doNothing());
  return insert.compile().sql;
}

// Our own table and column names (never input), quoted as SQLite identifiers.
function selectText(table: string, same: readonly string[], varying: readonly string[], size: number): string {
  const quote = (name: string) => `"${name}"`;
  const row = `(${varying.map(() => '?').join(', ')})`;
  const values = Array.from({ length: size }, () => row).join(', ');
  const select = [...same.map(() => '?'), ...varying.map((_, i) => `column${i + 1}`)].join(', ');
  return `insert into ${quote(table)} (${[...same, ...varying].map(quote).join(', ')}) select ${select} from (values ${values})`;
}
