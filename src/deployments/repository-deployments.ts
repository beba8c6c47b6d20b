import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import type { RepositorySubroute } from '../http/repository-paths.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { formatImageReference } from '../registry/image-reference.js';
import { factsOf, loadFactSources } from '../images/instance-facts.js';
import { listRecentBuilds, listRecentTags, listRunningOfRepository } from './environment-queries.js';
import { platformOf } from './record-deployment.js';

/** Tags and builds shown beside what runs; older ones are on the repository's Tags and Builds tabs. */
const TAGS_SHOWN = 50;
const BUILDS_SHOWN = 10;
/** Builds searched for the newest build of each tag shown. */
const BUILDS_SEARCHED = 200;

/**
 * `GET /api/v1/repositories/{repository}/deployments`: per environment what runs, beside the newest pushes and
 * builds — the seed's "compare your image builds with what's running". Each instance carries its vulnerability
 * counts, the build of its digest and whether it is behind the newest push of its tag; each tag its newest build.
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
      const workspaceId = request.caller.workspaceId;
      const repositoryId = await findRepositoryId(db, workspaceId, repository);
      if (!repositoryId) throw new ApiError('TW_NOT_FOUND', `repository ${repository} not found`);
      const [running, tags, builds] = await Promise.all([
        listRunningOfRepository(db, repositoryId), listRecentTags(db, repositoryId, TAGS_SHOWN), listRecentBuilds(db, repositoryId, BUILDS_SEARCHED),
      ]);
      const sources = await loadFactSources(db, workspaceId, running);
      const environments = new Map<string, unknown[]>();
      for (const r of running) {
        const list = environments.get(r.environment) ?? [];
        list.push({
          name: r.instance_name,
          digest: r.digest,
          image: formatImageReference({ repository, tag: r.tag, digest: r.digest }),
          tag: r.tag,
          platform: platformOf(r),
          since: r.deployed_at,
          ...factsOf(r, sources),
        });
        environments.set(r.environment, list);
      }
      const parsed = builds.map((b) => ({ ...b, tags: JSON.parse(b.docker_tags) as string[], digests: JSON.parse(b.manifest_digests) as string[] }));
      const runningDigests = new Map<string, number>();
      for (const r of running) runningDigests.set(r.digest, (runningDigests.get(r.digest) ?? 0) + 1);
      return {
        repository,
        environments: [...environments].map(([environment, instances]) => ({ environment, instances })),
        tags: tags.map((t) => {
          const build = parsed.find((b) => b.tags.includes(t.name));
          return {
            tag: t.name,
            digest: t.digest,
            updated_at: t.updated_at,
            pushed_at: t.digest === null ? null : t.updated_at,
            running_instances: t.digest === null ? 0 : runningDigests.get(t.digest) ?? 0,
            newest_build: build ? {
              build_id: build.id,
              phase: build.phase,
              commit: build.commit_sha,
              created_at: build.created_at,
              digests: build.digests,
              pushed_this_digest: t.digest !== null && build.digests.includes(t.digest),
            } : null,
          };
        }),
        builds: parsed.slice(0, BUILDS_SHOWN).map((b) => ({
          build_id: b.id,
          phase: b.phase,
          build_name: b.build_name,
          docker_tags: b.tags,
          commit: b.commit_sha,
          manifest_digests: b.digests,
          created_at: b.created_at,
          finished_at: b.finished_at,
          running_instances: b.digests.reduce((n, d) => n + (runningDigests.get(d) ?? 0), 0),
        })),
      };
    },
  };
}
