/*
 * The changes the notification API makes (notifications.md "API"), each in one transaction with its audit entry.
 */
import type { Storage } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { keyIdOf, sealSecret } from '../core/secret-box.js';
import { recordAudit } from '../audit/audit-queries.js';
import { recordTestEvent } from '../events/event-queries.js';
import type { EventKind } from '../events/event-kinds.js';
import { findDelivery, insertDeliveries, rearmDelivery, skipPendingDeliveries } from '../delivery/delivery-queries.js';
import { checkUrl, OutboundRefused, type AllowList, type Resolver } from '../delivery/outbound-guard.js';
import { newSigningSecret } from '../delivery/webhook-signature.js';
import { validateEventConfig, validateMethodConfig } from './event-config.js';
import { isObject } from './json-values.js';
import { findNotification, insertNotification, markNotificationDeleted, resetNotification, type NotificationRow } from './notification-queries.js';
import { quayRepository } from './quay-repository.js';
import { sampleEventData } from './sample-event-data.js';

export interface NotificationDeps {
  storage: Storage;
  allow: AllowList;
  /** The master key for secrets at rest; read when first needed. */
  secretKey: () => Buffer;
  resolve?: Resolver;
}

export interface Scope {
  workspaceId: string;
  tokenId: string;
  repositoryId: string;
  repository: string;
}

const createKeys = new Set(['event', 'method', 'config', 'eventConfig', 'title']);
const maxTitle = 200;

/** Checks a create body; answers the row to insert (without its id) and, for a webhook, the new signing secret. */
export async function createNotification(deps: NotificationDeps, scope: Scope, body: unknown): Promise<{ row: NotificationRow; secret: string | null }> {
  if (!isObject(body)) throw invalid('body', 'body must be a JSON object with event, method, config and eventConfig');
  const unknown = Object.keys(body).find((k) => !createKeys.has(k));
  if (unknown !== undefined) throw invalid(unknown, `${unknown} is not a known field; a notification takes ${[...createKeys].join(', ')}`);
  const title = body.title ?? null;
  if (title !== null && (typeof title !== 'string' || title.length > maxTitle || /[\u0000-\u001f\u007f]/.test(title))) {
    throw invalid('title', `title must be a string of at most ${maxTitle} characters without control characters`);
  }
  const eventConfig = validateEventConfig(body.event, body.eventConfig);
  if (!eventConfig.ok) throw invalid(eventConfig.field, eventConfig.message);
  const event = body.event as EventKind;
  const config = validateMethodConfig(body.method, body.config, event);
  if (!config.ok) throw invalid(config.field, config.message);
  if (typeof config.value.url === 'string') await checkTarget(deps, config.value.url);

  const id = newId();
  const method = body.method as string;
  const secret = method === 'webhook' ? newSigningSecret() : null;
  const key = secret === null ? null : deps.secretKey();
  const row: NotificationRow = {
    id,
    workspace_id: scope.workspaceId,
    repository_id: scope.repositoryId,
    title: title as string | null,
    event,
    method,
    config: JSON.stringify(config.value),
    event_config: JSON.stringify(eventConfig.value),
    // Bound to the notification's id, so a sealed secret copied into another row does not open there.
    secret_enc: secret === null || key === null ? null : sealSecret(secret, key, keyIdOf(key), id),
    enabled: 1,
    number_of_failures: 0,
    created_at: nowIso(),
    deleted_at: null,
  };
  await deps.storage.transact(async (trx) => {
    await insertNotification(trx, row);
    await recordAudit(trx, {
      workspaceId: scope.workspaceId, tokenId: scope.tokenId, action: 'notification.create', target: id,
      detail: { repository: scope.repository, event, method },
    });
  });
  return { row, secret };
}

/** The outbound guard at create time (security.md): a refused address is a 400 naming config.url and the reason. */
async function checkTarget(deps: NotificationDeps, url: string): Promise<void> {
  try {
    await checkUrl(url, deps.allow, deps.resolve);
  } catch (error) {
    if (error instanceof OutboundRefused) throw invalid('config.url', `config.url is refused by the outbound guard: ${error.reason}`);
    const code = (error as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw invalid('config.url', `config.url names a host that does not resolve (${new URL(url).hostname})`);
    }
    // Any other DNS trouble may pass; the guard checks again at every send.
  }
}

export async function deleteNotification(deps: NotificationDeps, scope: Scope, id: string): Promise<void> {
  await deps.storage.transact(async (trx) => {
    const at = nowIso();
    if (!(await markNotificationDeleted(trx, scope.repositoryId, id, at))) throw notificationNotFound(id, scope);
    await skipPendingDeliveries(trx, id, at);
    await recordAudit(trx, { workspaceId: scope.workspaceId, tokenId: scope.tokenId, action: 'notification.delete', target: id });
  });
}

export async function resetNotificationFailures(deps: NotificationDeps, scope: Scope, id: string): Promise<void> {
  await deps.storage.transact(async (trx) => {
    if (!(await resetNotification(trx, scope.repositoryId, id))) throw notificationNotFound(id, scope);
    await recordAudit(trx, { workspaceId: scope.workspaceId, tokenId: scope.tokenId, action: 'notification.reset', target: id });
  });
}

/**
 * The event's sample payload through the normal pipeline: a marked event row (recordTestEvent) and one delivery to
 * this notification only. The sample names this repository, as Quay's test does.
 */
export async function testNotification(deps: NotificationDeps, scope: Scope, id: string): Promise<string> {
  return deps.storage.transact(async (trx) => {
    const notification = await findNotification(trx, scope.repositoryId, id);
    if (!notification) throw notificationNotFound(id, scope);
    if (notification.enabled !== 1) throw disabled(id);
    const kind = notification.event as EventKind;
    const event = await recordTestEvent(trx, {
      workspaceId: scope.workspaceId, repositoryId: scope.repositoryId, kind, data: sampleFor(kind, scope.repository),
    });
    const deliveryId = newId();
    await insertDeliveries(trx, [{
      id: deliveryId, workspace_id: scope.workspaceId, notification_id: id, event_id: event.id, status: 'pending', attempts: 0,
      next_attempt_at: event.at, lease_until: null, lease_owner: null, created_at: event.at, completed_at: null,
    }]);
    await recordAudit(trx, { workspaceId: scope.workspaceId, tokenId: scope.tokenId, action: 'notification.test', target: id, detail: { delivery: deliveryId } });
    return deliveryId;
  });
}

/** Sends a delivery again under the same webhook-id (delivery-queries.ts rearmDelivery). */
export async function redeliver(deps: NotificationDeps, scope: Scope, id: string, deliveryId: string): Promise<void> {
  await deps.storage.transact(async (trx) => {
    const notification = await findNotification(trx, scope.repositoryId, id);
    if (!notification) throw notificationNotFound(id, scope);
    if (notification.enabled !== 1) throw disabled(id);
    if (!(await rearmDelivery(trx, id, deliveryId, nowIso()))) {
      if (!(await findDelivery(trx, id, deliveryId))) throw new ApiError('TW_NOT_FOUND', `delivery ${deliveryId} of notification ${id} not found`);
      throw new ApiError('TW_CONFLICT', `delivery ${deliveryId} is being sent right now; redeliver it once this attempt has ended`);
    }
    await recordAudit(trx, { workspaceId: scope.workspaceId, tokenId: scope.tokenId, action: 'notification.redeliver', target: id, detail: { delivery: deliveryId } });
  });
}

function sampleFor(kind: EventKind, repository: string): Record<string, unknown> {
  const data = { ...sampleEventData(kind) };
  if (kind === 'repo_push') return { ...data, ...quayRepository(repository) };
  return { ...data, repository };
}

export function notificationNotFound(id: string, scope: Pick<Scope, 'repository'>): ApiError {
  return new ApiError('TW_NOT_FOUND', `notification ${id} not found on repository ${scope.repository}`);
}

function disabled(id: string): ApiError {
  return new ApiError('TW_CONFLICT', `notification ${id} is disabled; reset it (POST …/notifications/${id}) before sending to it`);
}
