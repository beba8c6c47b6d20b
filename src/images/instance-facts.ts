import { Type } from '@sinclair/typebox';
import type { Db } from '../core/db/database.js';
import { buildsForDigests, type BuildOfDigest } from '../builds/build-queries.js';
import { digestCounts, digestCountsSchema, type DigestCounts } from '../trend/exposure-schemas.js';
import { currentScansOf, type CurrentScan } from './current-scans.js';
import { freshnessOf, tagPointers, type Freshness, type RunningImage } from './tag-freshness.js';

/*
 * What the environment and repository views add to each running instance (deployments.md, "Reading it back"): its
 * vulnerability counts, the build that produced its digest, and whether it is behind the newest push of its tag.
 */

export const instanceBuildSchema = Type.Union([
  Type.Object({
    build_id: Type.String(),
    commit: Type.Union([Type.String(), Type.Null()]),
    build_name: Type.Union([Type.String(), Type.Null()]),
    ref: Type.Union([Type.String(), Type.Null()]),
  }),
  Type.Null(),
], { description: 'the newest successful build that pushed this digest, or null' });

/** Response fields added to an instance. */
export const instanceFactsFields = {
  vulnerabilities: Type.Union([digestCountsSchema, Type.Null()], { description: 'the digest\'s current scan, or null when unscanned' }),
  build: instanceBuildSchema,
  compared_tag: Type.Union([Type.String(), Type.Null()], {
    description: 'the tag compared with: the one deployed with, else a tag that pointed at the digest',
  }),
  newest_digest_for_tag: Type.Union([Type.String(), Type.Null()]),
  behind: Type.Boolean({ description: 'the tag now points at another digest' }),
  pushed_at: Type.Union([Type.String(), Type.Null()], { description: 'when the tag was last pushed' }),
};

export interface InstanceFacts extends Freshness {
  vulnerabilities: DigestCounts | null;
  build: { build_id: string; commit: string | null; build_name: string | null; ref: string | null } | null;
}

export interface FactSources {
  scans: Map<string, CurrentScan>;
  builds: Map<string, BuildOfDigest>;
  pointers: Awaited<ReturnType<typeof tagPointers>>;
}

/** Everything needed for the facts of these instances, in a handful of batched queries. */
export async function loadFactSources(db: Db, workspaceId: string, images: readonly RunningImage[], scans?: Map<string, CurrentScan>): Promise<FactSources> {
  const digests = images.map((i) => i.digest);
  const [currentScans, builds, pointers] = await Promise.all([
    scans ?? currentScansOf(db, workspaceId, digests),
    buildsForDigests(db, workspaceId, digests),
    tagPointers(db, workspaceId, images),
  ]);
  return { scans: currentScans, builds, pointers };
}

export function factsOf(image: RunningImage, sources: FactSources): InstanceFacts {
  const scan = sources.scans.get(image.digest);
  const build = sources.builds.get(image.digest);
  return {
    vulnerabilities: scan ? digestCounts(scan.summary, scan.created_at) : null,
    build: build ? { build_id: build.build_id, commit: build.commit, build_name: build.build_name, ref: build.ref } : null,
    ...freshnessOf(image, sources.pointers),
  };
}
