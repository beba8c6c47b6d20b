import type { Database } from '../../src/core/db/schema.js';

/** Every table of the schema, checked by the compiler: a table added to Database and not here fails `tsc`. */
export const allTables = [
  'workspaces', 'tokens', 'repositories', 'images', 'image_children', 'tags', 'tag_history', 'builds', 'build_images',
  'scans', 'findings', 'triage', 'environments', 'deployments', 'events', 'notifications', 'deliveries',
  'delivery_attempts', 'trend_points', 'audit_log', 'ingest_receipts', 'hook_endpoints', 'clusters', 'policies',
  'admission_decisions',
] as const satisfies ReadonlyArray<keyof Database>;
type Unlisted = Exclude<keyof Database, (typeof allTables)[number]>;
const everyTableListed: [Unlisted] extends [never] ? true : never = true;
void everyTableListed;
