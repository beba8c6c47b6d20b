/*
 * Findings' descriptions stored once each (migration 004): a finding names its text by the text's SHA-256, and the
 * text is written to `descriptions` only if this process has not seen it committed before. The same advisory text
 * comes back in every scan of every image holding the vulnerability, and was most of the bytes a scan wrote.
 */
import { hash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { insertRows } from '../core/db/multi-row-insert.js';

export const descriptionHash = (text: string): string => hash('sha256', text, 'base64url');

// Hashes whose text is committed, per storage (a database): rows of `descriptions` are never deleted, so a hash seen
// committed stays valid. Bounded: past the limit the set starts again (the texts are then re-sent and ignored).
const committed = new WeakMap<object, Set<string>>();
/** The most hashes a set of known-stored descriptions holds before it starts again (here, the parse pool, its workers). */
export const KNOWN_LIMIT = 200_000;

/** The texts of one transaction that the database may not hold yet. */
export class DescriptionWrites {
  private readonly texts = new Map<string, string>();
  private readonly known: Set<string>;

  constructor(storage: object) {
    let known = committed.get(storage);
    if (known === undefined) committed.set(storage, known = new Set());
    this.known = known;
  }

  /**
   * The hash to store in the finding for this description; the text is kept for `write` unless known. A hash without
   * its text is one the parse worker left out as stored (report-parse-worker.ts).
   */
  add(text: string | null, hash?: string | null): string | null {
    if (text === null) return hash ?? null;
    const h = hash ?? descriptionHash(text);
    if (!this.known.has(h)) this.texts.set(h, text);
    return h;
  }

  /** In the transaction: the texts not known to be stored (one held by another transaction already is left as it is). */
  async write(trx: Db, engine: EngineCapabilities): Promise<void> {
    if (this.texts.size === 0) return;
    const rows = [...this.texts].map(([hash, text]) => ({ hash, text }));
    await insertRows(trx, engine, 'descriptions', ['hash', 'text'], rows, { ignoreConflictOn: 'hash' });
  }

  /** After the commit: these texts are stored. */
  committed(): void {
    if (this.known.size + this.texts.size > KNOWN_LIMIT) this.known.clear();
    for (const h of this.texts.keys()) this.known.add(h);
  }
}

/**
 * A finding's description however it was stored: in the row (before migration 004) or through its hash. The query
 * left-joins `descriptions` on `<findings>.description_hash`.
 */
export const descriptionText = (findings: 'findings' | 'f') =>
  sql<string | null>`coalesce(${sql.ref(`${findings}.description`)}, ${sql.ref('descriptions.text')})`.as('description');
