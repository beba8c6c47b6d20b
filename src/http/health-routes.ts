import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Storage } from '../core/db/database.js';
import { isMigrated } from '../core/db/migrate.js';

/** spec README "Running it": /healthz is the process, /readyz the database (reachable and migrated). */
export function registerHealthRoutes(app: FastifyInstance, storage: Storage): void {
  app.get('/healthz', { schema: { hide: true }, config: { access: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { access: 'public' } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(storage.db);
      if (!(await isMigrated(storage))) return reply.status(503).send({ status: 'not migrated' });
      return { status: 'ready', database: storage.engine.name };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.status(503).send({ status: 'database unreachable' });
    }
  });
}
