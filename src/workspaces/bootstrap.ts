import type { Db } from '../core/db/database.js';
import { createToken } from '../auth/token-service.js';
import { countTokens } from '../auth/token-queries.js';
import { ensureWorkspace } from './workspace-queries.js';

/**
 * A fresh server has workspace `default` and one admin token for it (concepts.md), either the operator's
 * TIDEWATCH_BOOTSTRAP_TOKEN or a random one returned here to print once. A workspace that has tokens gets none.
 */
export async function bootstrapDefaultWorkspace(db: Db, bootstrapToken: string | null): Promise<{ workspaceId: string; token: string | null }> {
  return db.transaction().execute(async (trx) => {
    const ws = await ensureWorkspace(trx, 'default');
    if ((await countTokens(trx, ws.id)) > 0) return { workspaceId: ws.id, token: null };
    const made = await createToken(trx, {
      workspaceId: ws.id,
      role: 'admin',
      name: 'bootstrap admin',
      token: bootstrapToken ?? undefined,
    });
    return { workspaceId: ws.id, token: made.token };
  });
}
