import type { Db } from '../core/db/database.js';
import type { TokenTable } from '../core/db/schema.js';

export type TokenRow = TokenTable;

export async function insertToken(db: Db, row: TokenRow): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

export async function findTokenByHash(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
}

export async function listTokens(db: Db, workspaceId: string): Promise<TokenRow[]> {
  return db.selectFrom('tokens').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
}

export async function countTokens(db: Db, workspaceId: string): Promise<number> {
  const row = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Finds a token of the workspace by id or by its visible prefix. */
export async function findToken(db: Db, workspaceId: string, idOrPrefix: string): Promise<TokenRow[]> {
  return db.selectFrom('tokens').selectAll().where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)])).execute();
}

export async function revokeToken(db: Db, workspaceId: string, id: string, at: string): Promise<boolean> {
  const result = await db.updateTable('tokens').set({ revoked_at: at })
    .where('workspace_id', '=', workspaceId).where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
