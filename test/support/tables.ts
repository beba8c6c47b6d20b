import type { Database } from '../../src/core/db/schema.js';

/** Every table of the schema, checked by the compiler: a table added to Database and not here fails `tsc`. */
export const allTables = [
  'workspaces', 'tokens', 'repositories', 'images', 'image_children', 'tags', 'tag_history', 'builds', 'build_images',
  'scans', 'findings', 'descriptions', 'triage', 'environments', 'deployments', 'events', 'notifications', 'deliveries',
  'delivery_attempts', 'trend_points', 'audit_log', 'ingest_receipts', 'hook_endpoints', 'clusters', 'policies',
  'admission_decisions', 'admission_pods', 'vulnerability_scans',
] as const satisfies ReadonlyArray<keyof Database>;
type Unlisted = Exclude<keyof Database, (typeof allTables)[number]>;
const everyTableListed: [Unlisted] extends [never] ? true : never = true;
void everyTableListed;

/**
 * The tables a request writes in its own transaction. vulnerability_scans is left out: the scan route fills it in the
 * background a moment after the scan commits (src/scans/vulnerability-index.ts), so its row count depends on timing;
 * likewise compare scans rows without their `vulnerabilities_indexed` flag (withoutIndexFlag).
 */
export const requestTables = allTables.filter((t): t is Exclude<(typeof allTables)[number], 'vulnerability_scans'> => t !== 'vulnerability_scans');

export function withoutIndexFlag(table: string, row: Record<string, unknown>): Record<string, unknown> {
  if (table !== 'scans') return row;
  const { vulnerabilities_indexed: _flag, ...rest } = row;
  return rest;
}
