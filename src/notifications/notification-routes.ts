/*
 * The notification API under /api/v1/repositories/{repository}/notifications (notifications.md "API"). Every call
 * needs role admin on the repository; a notification of another repository, or anything of another workspace, is 404.
 */
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { ApiError, invalid } from '../core/errors.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import type { RepositorySubroute } from '../http/repository-paths.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { TEST_EVENT_KEY_PREFIX } from '../events/event-queries.js';
import { attemptsOf, countDeliveries, lastDelivery, listDeliveries } from '../delivery/delivery-queries.js';
import { findNotification, listNotifications } from './notification-queries.js';
import {
  createNotification, deleteNotification, notificationNotFound, redeliver, resetNotificationFailures, testNotification,
  type NotificationDeps, type Scope,
} from './notification-service.js';
import { notificationView } from './notification-view.js';

const nullable = (t: TSchema) => Type.Union([t, Type.Null()]);
const view = Type.Object({
  uuid: Type.String(),
  title: nullable(Type.String()),
  event: Type.String(),
  method: Type.String(),
  config: Type.Object({}, { additionalProperties: true, description: 'the method config, secrets masked' }),
  event_config: Type.Object({}, { additionalProperties: true }),
  number_of_failures: Type.Integer(),
  enabled: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  last_delivery: nullable(Type.Object({
    id: Type.String(), status: Type.String(), attempts: Type.Integer(), created_at: Type.String(),
    completed_at: nullable(Type.String()), next_attempt_at: nullable(Type.String()),
  })),
});
const created = Type.Intersect([view, Type.Object({ secret: Type.Optional(Type.String({ description: 'webhook signing secret (whsec_…), shown only here' })) })]);
const accepted = Type.Object({ delivery_id: Type.String() });
const deliveryLog = Type.Object({
  deliveries: Type.Array(Type.Object({
    id: Type.String({ description: 'also the webhook-id header of every attempt' }),
    event: Type.Object({ uuid: Type.String(), kind: Type.String(), created_at: Type.String(), test: Type.Boolean() }),
    status: Type.String({ description: 'pending, delivering, succeeded, failed or skipped' }),
    created_at: Type.String(),
    completed_at: nullable(Type.String()),
    next_attempt_at: nullable(Type.String()),
    attempts: Type.Array(Type.Object({
      at: Type.String(), status_code: nullable(Type.Integer()), error: nullable(Type.String()), latency_ms: Type.Integer(),
      response: nullable(Type.String({ description: 'the first 4 KiB of the response' })),
    })),
  })),
  limit: Type.Integer(),
  offset: Type.Integer(),
  total: Type.Integer(),
  next_offset: nullable(Type.Integer()),
});

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function notificationSubroutes(deps: NotificationDeps): RepositorySubroute[] {
  const { db } = deps.storage;

  async function scopeOf(request: FastifyRequest, repository: string): Promise<Scope> {
    assertRepositoryInScope(request.caller, repository);
    const repositoryId = await findRepositoryId(db, request.caller.workspaceId, repository);
    if (!repositoryId) throw new ApiError('TW_NOT_FOUND', `repository ${repository} not found`);
    return { workspaceId: request.caller.workspaceId, tokenId: request.caller.tokenId, repositoryId, repository };
  }

  function idOf(params: Record<string, string>, scope: Scope): string {
    const id = (params.uuid ?? '').toLowerCase();
    if (!uuidRe.test(id)) throw notificationNotFound(id, scope);
    return id;
  }

  async function readBack(scope: Scope, id: string) {
    const row = await findNotification(db, scope.repositoryId, id);
    if (!row) throw notificationNotFound(id, scope);
    return notificationView(row, await lastDelivery(db, id));
  }

  const route = (r: Omit<RepositorySubroute, 'access' | 'tags'>): RepositorySubroute => ({ ...r, access: 'admin', tags: ['notifications'] });

  // Order matters: a repository may itself end in /notifications, and the first sub-path that matches wins.
  return [
    route({
      method: 'POST', path: '/notifications', summary: 'Create a notification (the webhook signing secret is in this answer only)',
      response: { 201: created },
      handler: async (request, reply, { repository }) => {
        const scope = await scopeOf(request, repository);
        const { row, secret } = await createNotification(deps, scope, request.body);
        return reply.status(201).send({ ...notificationView(row, undefined), ...(secret !== null ? { secret } : {}) });
      },
    }),
    route({
      method: 'GET', path: '/notifications', summary: 'The notifications of the repository',
      response: { 200: Type.Object({ notifications: Type.Array(view) }) },
      handler: async (request, _reply, { repository }) => {
        const scope = await scopeOf(request, repository);
        const rows = await listNotifications(db, scope.repositoryId);
        const last = await Promise.all(rows.map((r) => lastDelivery(db, r.id)));
        return { notifications: rows.map((r, i) => notificationView(r, last[i])) };
      },
    }),
    route({
      method: 'GET', path: '/notifications/{uuid}', summary: 'One notification',
      response: { 200: view },
      handler: async (request, _reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        return readBack(scope, idOf(params, scope));
      },
    }),
    route({
      method: 'DELETE', path: '/notifications/{uuid}', summary: 'Delete a notification and its delivery log',
      response: { 204: Type.Null() },
      handler: async (request, reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        await deleteNotification(deps, scope, idOf(params, scope));
        return reply.status(204).send();
      },
    }),
    route({
      method: 'POST', path: '/notifications/{uuid}', summary: 'Reset: number_of_failures to 0 and enabled again (Quay\'s reset)',
      response: { 204: Type.Null() },
      handler: async (request, reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        await resetNotificationFailures(deps, scope, idOf(params, scope));
        return reply.status(204).send();
      },
    }),
    route({
      method: 'POST', path: '/notifications/{uuid}/test', summary: 'Send the event\'s sample payload through the normal pipeline',
      response: { 202: accepted },
      handler: async (request, reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        return reply.status(202).send({ delivery_id: await testNotification(deps, scope, idOf(params, scope)) });
      },
    }),
    route({
      method: 'GET', path: '/notifications/{uuid}/deliveries', summary: 'The delivery log, newest first, with every attempt',
      response: { 200: deliveryLog },
      handler: async (request, _reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        const id = idOf(params, scope);
        if (!(await findNotification(db, scope.repositoryId, id))) throw notificationNotFound(id, scope);
        const { limit, offset } = page(request.query);
        const [rows, total] = await Promise.all([listDeliveries(db, id, { limit, offset }), countDeliveries(db, id)]);
        const attempts = await attemptsOf(db, rows.map((r) => r.id));
        return {
          deliveries: rows.map((d) => ({
            id: d.id,
            event: {
              uuid: d.event_uuid, kind: d.event_kind, created_at: d.event_created_at,
              test: d.event_dedupe_key?.startsWith(TEST_EVENT_KEY_PREFIX) ?? false,
            },
            status: d.status,
            created_at: d.created_at,
            completed_at: d.completed_at,
            next_attempt_at: d.status === 'pending' ? d.next_attempt_at : null,
            attempts: attempts.filter((a) => a.delivery_id === d.id).map((a) => ({
              at: a.at, status_code: a.status_code, error: a.error, latency_ms: a.latency_ms, response: a.response_excerpt,
            })),
          })),
          limit,
          offset,
          total,
          next_offset: offset + limit < total ? offset + limit : null,
        };
      },
    }),
    route({
      method: 'POST', path: '/notifications/{uuid}/deliveries/{id}/redeliver', summary: 'Send a delivery again (same webhook-id)',
      response: { 202: accepted },
      handler: async (request, reply, { repository, params }) => {
        const scope = await scopeOf(request, repository);
        const id = idOf(params, scope);
        const deliveryId = (params.id ?? '').toLowerCase();
        if (!uuidRe.test(deliveryId)) throw new ApiError('TW_NOT_FOUND', `delivery ${deliveryId} of notification ${id} not found`);
        await redeliver(deps, scope, id, deliveryId);
        return reply.status(202).send({ delivery_id: deliveryId });
      },
    }),
  ];
}

function page(query: unknown): { limit: number; offset: number } {
  const q = (query ?? {}) as Record<string, unknown>;
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw invalid(`query.${name}`, `query.${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return { limit: int('limit', 20, 1, 100), offset: int('offset', 0, 0, 1_000_000_000) };
}
