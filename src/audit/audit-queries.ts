import type { Db } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';

export interface AuditEntry {
  workspaceId: string;
  /** null for changes made on the command line, which holds no token. */
  tokenId: string | null;
  action: string;
  target: string;
  detail?: unknown;
}

/** security.md: every change made through the API is recorded, in the transaction that makes it. */
export async function recordAudit(trx: Db, entry: AuditEntry): Promise<void> {
  await trx.insertInto('audit_log').values({
    workspace_id: entry.workspaceId,
    token_id: entry.tokenId,
    action: entry.action,
    target: entry.target,
    detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
    at: nowIso(),
  }).execute();
}
