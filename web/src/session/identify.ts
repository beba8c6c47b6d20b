/*
 * Who a token is: its name, role, scope and workspace (GET /api/v1/whoami), shown in the header of every page (ui.md
 * "shows who is signed in") and used to offer only what the role may do. The interface is served by the same process
 * as the API, so the endpoint is always there; an unknown, revoked or expired token is the API's 401, in its words.
 */
import { api } from '../api/client';
import { apiPaths } from '../api/paths';
import type { Identity } from './token-store';

interface WhoamiAnswer {
  token: { name: string; role: Identity['role']; prefix: string; repository_glob: string | null };
  workspace: { id: string; name: string };
}

export async function identify(token: string): Promise<Identity> {
  const me = await api<WhoamiAnswer>('GET', apiPaths.whoami(), { token });
  return {
    name: me.token.name,
    role: me.token.role,
    prefix: me.token.prefix,
    repositoryGlob: me.token.repository_glob,
    workspace: me.workspace.name,
  };
}

const rank = { read: 1, write: 2, admin: 3 } as const;
export const mayAct = (identity: Identity | null, needs: Identity['role']): boolean => identity !== null && rank[identity.role] >= rank[needs];
