import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import type { RepositorySubroute } from '../http/repository-paths.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { formatImageReference } from '../registry/image-reference.js';
import { platformOf } from './record-deployment.js';

/**
 * `GET /api/v1/repositories/{repository}/deployments`: per environment what runs, beside the newest pushes and
 * builds — the seed's "compare your image builds with what's running".
 */
export function repositoryDeploymentsRoute(db: Db): RepositorySubroute {
  return {
    method: 'GET',
    path: '/deployments',
    access: 'read',
    summary: 'Per environment what runs, beside the newest pushes and builds of the repository',
    tags: ['repositories'],
    handler: async (request, _reply, { repository }) => {
      assertRepositoryInScope(request.caller, repository);
      const repositoryId = await findRepositoryId(db, request.caller.workspaceId, repository);
      if (!repositoryId) throw new ApiError('TW_NOT_FOUND', `repository ${repository} not found`);
      const [running, tags, builds] = await Promise.all([
        db.selectFrom('deployments as d').innerJoin('environments as e', 'e.id', 'd.environment_id')
          .select(['e.name as environment', 'd.instance_name', 'd.digest', 'd.tag', 'd.os', 'd.architecture', 'd.variant', 'd.deployed_at'])
          .where('d.repository_id', '=', repositoryId).where('d.undeployed_at', 'is', null)
          .orderBy('e.name').orderBy('d.instance_name').execute(),
        db.selectFrom('tags').select(['name', 'digest', 'updated_at'])
          .where('repository_id', '=', repositoryId).orderBy('updated_at', 'desc').limit(50).execute(),
        db.selectFrom('builds').select(['id', 'phase', 'build_name', 'docker_tags', 'commit_sha', 'manifest_digests', 'created_at'])
          .where('repository_id', '=', repositoryId).orderBy('created_at', 'desc').limit(10).execute(),
      ]);
      const tagDigest = new Map(tags.map((t) => [t.name, t.digest]));
      const environments = new Map<string, unknown[]>();
      for (const r of running) {
        const newest = r.tag ? tagDigest.get(r.tag) ?? null : null;
        const list = environments.get(r.environment) ?? [];
        list.push({
          name: r.instance_name,
          digest: r.digest,
          image: formatImageReference({ repository, tag: r.tag, digest: r.digest }),
          tag: r.tag,
          platform: platformOf(r),
          since: r.deployed_at,
          newest_digest_for_tag: newest,
          behind: newest !== null && newest !== r.digest,
        });
        environments.set(r.environment, list);
      }
      return {
        repository,
        environments: [...environments].map(([environment, instances]) => ({ environment, instances })),
        tags: tags.map((t) => ({ tag: t.name, digest: t.digest, updated_at: t.updated_at })),
        builds: builds.map((b) => ({
          build_id: b.id,
          phase: b.phase,
          build_name: b.build_name,
          docker_tags: JSON.parse(b.docker_tags) as string[],
          commit: b.commit_sha,
          manifest_digests: JSON.parse(b.manifest_digests) as string[],
          created_at: b.created_at,
        })),
      };
    },
  };
}
