import { newId } from '../core/ids.js';
import type { Db, Storage } from '../core/db/database.js';

/** What recording needs of the storage: write transactions, and what the engine can do. */
export type Writer = Pick<Storage, 'transact' | 'engine'>;
import { ApiError } from '../core/errors.js';
import { isUniqueViolation } from '../core/db/database-errors.js';
import { recordEvent } from '../events/event-queries.js';
import { recordAudit } from '../audit/audit-queries.js';
import { recordTrendPoints } from '../trend/trend-points.js';
import { scannedDigests } from '../trend/exposure-queries.js';
import { ensureImage, ensureRepository, tagsPointingAt } from '../registry/repository-queries.js';
import { formatImageReference, type ImageReference } from '../registry/image-reference.js';
import {
  endDeployment, ensureEnvironment, findEnvironment, findRunningDeployment, insertDeployment, lockInstanceKey, refreshDeployment,
  type DeploymentRow,
} from './deployment-queries.js';

/**
 * The source of a deployment the admission webhook recorded with the digest Tidewatch last saw pushed for the Pod's
 * tag (admission.md: marked `resolved_from: "tag"`, which the environment views show).
 */
export const ADMISSION_TAG_SOURCE = 'admission:tag';

export interface Platform {
  os: string;
  architecture: string;
  variant: string | null;
}

export interface DeploymentInput {
  workspaceId: string;
  tokenId: string | null;
  /** Parsed reference, pinned by digest. */
  image: ImageReference & { digest: string };
  /** `image.name`; the repository when absent (the instance key, spec deployments.md). */
  instanceName: string | null;
  environment: string;
  platform: Platform;
  /** Who recorded it: `api`, `cli`, `admission`, or ADMISSION_TAG_SOURCE. */
  source: string;
}

export interface DeploymentOutcome {
  created: boolean;
  deployment: DeploymentRow;
  environment: string;
  repository: string;
}

/**
 * Records that an instance runs a digest. A new digest (or platform) for the instance key ends the running
 * deployment and starts one, with its `image_deployed` event and audit entry, all in one transaction; the same digest
 * again only refreshes `last_seen_at`.
 */
export async function recordDeployment(writer: Writer, input: DeploymentInput): Promise<DeploymentOutcome> {
  // Processes racing to start the same instance on PostgreSQL: the unique index refuses all but one, and each retry
  // then sees the winner's row and answers as a repeat or a replacement. A few rounds settle any realistic race.
  for (let attempt = 1; ; attempt++) {
    try {
      return await writer.transact((trx) => recordInTransaction(trx, writer, input));
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 5) throw error;
    }
  }
}

async function recordInTransaction(trx: Db, writer: Writer, input: DeploymentInput): Promise<DeploymentOutcome> {
  const at = new Date().toISOString();
  const repository = input.image.repository;
  const instanceName = input.instanceName ?? repository;
  const environmentId = await ensureEnvironment(trx, input.workspaceId, input.environment, at);
  const repositoryId = await ensureRepository(trx, input.workspaceId, repository, at);
  await lockInstanceKey(trx, writer.engine, environmentId, instanceName);
  const running = await findRunningDeployment(trx, environmentId, instanceName);
  const samePlatform = running && running.os === input.platform.os
    && running.architecture === input.platform.architecture && running.variant === input.platform.variant;
  if (running && running.digest === input.image.digest && running.repository_id === repositoryId && samePlatform) {
    await refreshDeployment(trx, running.id, at);
    return { created: false, deployment: { ...running, last_seen_at: at }, environment: input.environment, repository };
  }
  await ensureImage(trx, { workspaceId: input.workspaceId, repositoryId, digest: input.image.digest, at });
  if (running) await endDeployment(trx, running.id, at);
  const row: DeploymentRow = {
    id: newId(),
    workspace_id: input.workspaceId,
    environment_id: environmentId,
    instance_name: instanceName,
    repository_id: repositoryId,
    digest: input.image.digest,
    tag: input.image.tag,
    os: input.platform.os,
    architecture: input.platform.architecture,
    variant: input.platform.variant,
    deployed_at: at,
    last_seen_at: at,
    undeployed_at: null,
    replaced_digest: running ? running.digest : null,
    source: input.source,
  };
  await insertDeployment(trx, row);
  await recordTrendIfExposed(trx, input.workspaceId, environmentId, [row.digest, row.replaced_digest], at);
  await recordEvent(trx, {
    workspaceId: input.workspaceId,
    repositoryId,
    kind: 'image_deployed',
    data: {
      environment: input.environment,
      instance: instanceName,
      repository,
      digest: row.digest,
      tags: await tagsPointingAt(trx, repositoryId, row.digest),
      platform: platformOf(row),
      replaced_digest: row.replaced_digest,
      deployment_id: row.id,
    },
  });
  await recordAudit(trx, {
    workspaceId: input.workspaceId,
    tokenId: input.tokenId,
    action: 'deployment.record',
    target: `${input.environment}/${instanceName}`,
    detail: { image: formatImageReference(input.image), replaced: row.replaced_digest },
  });
  return { created: true, deployment: row, environment: input.environment, repository };
}

/** Ends the running deployment of an instance (`DELETE /api/v1/deployments`); 404 when nothing runs under that key. */
export async function undeploy(
  writer: Writer,
  input: { workspaceId: string; tokenId: string | null; environment: string; instanceNames: string[]; allowed: (repository: string) => void },
): Promise<DeploymentOutcome> {
  return writer.transact(async (trx) => {
    const env = await findEnvironment(trx, input.workspaceId, input.environment);
    if (!env) throw new ApiError('TW_NOT_FOUND', `environment ${input.environment} not found`);
    let running: DeploymentRow | undefined;
    for (const name of input.instanceNames) {
      running = await findRunningDeployment(trx, env.id, name);
      if (running) break;
    }
    if (!running) throw new ApiError('TW_NOT_FOUND', `nothing runs as ${input.instanceNames[0]} in ${input.environment}`);
    const repo = await trx.selectFrom('repositories').select('name').where('id', '=', running.repository_id)
      .executeTakeFirstOrThrow();
    input.allowed(repo.name);
    const at = new Date().toISOString();
    await endDeployment(trx, running.id, at);
    await recordTrendIfExposed(trx, input.workspaceId, env.id, [running.digest], at);
    await recordAudit(trx, {
      workspaceId: input.workspaceId,
      tokenId: input.tokenId,
      action: 'deployment.undeploy',
      target: `${input.environment}/${running.instance_name}`,
      detail: { digest: running.digest },
    });
    return { created: false, deployment: { ...running, undeployed_at: at }, environment: input.environment, repository: repo.name };
  });
}

/** A deployment changes an environment's security debt only when a digest it starts or ends has been scanned. */
async function recordTrendIfExposed(trx: Db, workspaceId: string, environmentId: string, digests: Array<string | null>, at: string) {
  const present = digests.filter((d): d is string => d !== null);
  if ((await scannedDigests(trx, workspaceId, present)).size > 0) await recordTrendPoints(trx, workspaceId, [environmentId], at);
}

export function platformOf(row: Pick<DeploymentRow, 'os' | 'architecture' | 'variant'>) {
  return { os: row.os, architecture: row.architecture, ...(row.variant ? { variant: row.variant } : {}) };
}
