import type { Kysely } from 'kysely';
import type { EngineCapabilities } from '../engine.js';

// Issue 3's scan-ingest goal: a finding's description was most of the bytes a scan wrote (Trivy: 111 KB of 183 KB
// for the 236 findings of juice-shop), and the same advisory text comes back in every scan of every image holding
// the vulnerability. Descriptions are stored once, by the SHA-256 of their text; new findings name theirs in
// description_hash and leave description null (rows written before keep theirs: readers take whichever is set).
// Never edit once landed: add a new numbered migration instead.
export async function up(db: Kysely<unknown>, _engine: EngineCapabilities): Promise<void> {
  await db.schema.createTable('descriptions')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('text', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('findings').addColumn('description_hash', 'text').execute();
}
