import { Type } from '@sinclair/typebox';
import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import type { RepositorySubroute } from '../http/repository-paths.js';
import { findRepositoryId } from './repository-queries.js';
import { listTagsWithHistory } from './tag-queries.js';

/** History entries shown per tag; the oldest beyond it stay stored. */
const historyPerTag = 100;

const nullableString = Type.Union([Type.String(), Type.Null()]);
const tagsView = Type.Object({
  repository: Type.String(),
  tags: Type.Array(Type.Object({
    name: Type.String(),
    digest: Type.Union([Type.String(), Type.Null()], { description: 'null after a delete, or when the source sent no digest (Docker Hub, Quay)' }),
    updated_at: Type.String({ format: 'date-time' }),
    history: Type.Array(Type.Object({
      digest: nullableString,
      action: Type.Union([Type.Literal('push'), Type.Literal('delete')]),
      source: Type.String({ description: 'distribution, harbor, dockerhub, quay, github or pushes' }),
      at: Type.String({ format: 'date-time' }),
    })),
  })),
});

/** `GET /api/v1/repositories/{repository}/tags`: each tag's current digest and which digest it pointed at when. */
export function repositoryTagsRoute(db: Db): RepositorySubroute {
  return {
    method: 'GET',
    path: '/tags',
    access: 'read',
    summary: `Tags of the repository with their current digest and history, newest first (at most ${historyPerTag} entries per tag)`,
    tags: ['repositories'],
    response: { 200: tagsView },
    handler: async (request, _reply, { repository }) => {
      assertRepositoryInScope(request.caller, repository);
      const repositoryId = await findRepositoryId(db, request.caller.workspaceId, repository);
      if (!repositoryId) throw new ApiError('TW_NOT_FOUND', `repository ${repository} not found`);
      return { repository, tags: await listTagsWithHistory(db, repositoryId, historyPerTag) };
    },
  };
}
