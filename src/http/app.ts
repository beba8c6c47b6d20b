import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { Storage } from '../core/db/database.js';
import { frameworkErrors, installErrorHandler } from './error-handler.js';
import { validatorCompiler } from './validation.js';
import { errorBody } from './error-schema.js';
import { createMetrics, installRequestMetrics, type Metrics } from './metrics.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerRepositoryPaths, repositoryPathsDocument } from './repository-paths.js';
import { installAuthentication } from '../auth/authenticate.js';
import { tokenRoutes } from '../auth/token-routes.js';
import { whoamiRoute } from '../auth/whoami-route.js';
import { deploymentRoutes } from '../deployments/deployment-routes.js';
import { environmentRoutes } from '../deployments/environment-routes.js';
import { repositoryDeploymentsRoute } from '../deployments/repository-deployments.js';
import { trendRoutes } from '../trend/trend-routes.js';
import { imageRoutes } from '../images/image-routes.js';
import { vulnerabilityRoutes } from '../vulnerabilities/vulnerability-routes.js';
import { compareRoutes } from '../compare/compare-routes.js';
import { buildRoutes } from '../builds/build-routes.js';
import { scanRoutes } from '../scans/scan-routes.js';
import { triageRoutes } from '../triage/triage-routes.js';
import { hookRoutes } from '../registry/hook-routes.js';
import { hookEndpointRoutes } from '../registry/hook-endpoint-routes.js';
import { pushRoutes } from '../registry/push-routes.js';
import { admissionRoutes } from '../admission/admission-routes.js';
import { repositoryTagsRoute } from '../registry/repository-tags-route.js';
import { notificationSubroutes } from '../notifications/notification-routes.js';
import { withDeliveryWakeup } from '../delivery/delivery-wakeup.js';
import type { Resolver } from '../delivery/outbound-guard.js';
import { ensureSecretKey } from '../core/secret-key.js';
import { webUi } from './web-ui.js';
import { clusterRoutes } from '../admission/cluster-routes.js';
import { policyRoutes } from '../admission/policy-routes.js';
import { decisionRoutes } from '../admission/decision-routes.js';

export interface AppDeps {
  storage: Storage;
  config: Pick<Config, 'bodyLimitBytes' | 'rateLimitPerSecond' | 'publicUrl'>
    & Partial<Pick<Config, 'outboundAllow' | 'secretKey' | 'dataDir'>>;
  /**
   * The master key for secrets at rest (`serve` passes ensureSecretKey(config)). Without it, the key is read or
   * generated from config.secretKey / config.dataDir when a notification first needs one.
   */
  secretKey?: Buffer;
  /** Tests: resolve host names for the outbound guard without DNS. */
  resolve?: Resolver;
  logger?: Logger | false;
  metrics?: Metrics;
  /** PEM certificate and key: serve the whole API over HTTPS (`serve --tls-cert/--tls-key`, admission.md "Clusters"). */
  https?: { cert: Buffer; key: Buffer };
}

/** The one place that wires every feature into the HTTP server. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Transactions that write deliveries wake this process's delivery worker when they commit (delivery-wakeup.ts).
  const storage = withDeliveryWakeup(deps.storage);
  const metrics = deps.metrics ?? createMetrics();
  const repositorySubroutes = [
    repositoryDeploymentsRoute(storage.db),
    repositoryTagsRoute(storage.db),
    ...notificationSubroutes({
      storage,
      allow: config.outboundAllow ?? [],
      secretKey: secretKeyOf(deps),
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    }),
  ];
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    // Access logs at debug level from our own hook; Fastify's two lines per request at info cost a third of throughput.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 512 },
    frameworkErrors,
    // Typed as the plain-HTTP instance: routes and hooks do not depend on which server carries the requests.
    ...(deps.https ? { https: deps.https } as {} : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Every body we take is JSON; Fastify's default text/plain parser would let plain text reach schemas as a string.
  app.removeContentTypeParser('text/plain');
  app.addSchema(errorBody);
  installErrorHandler(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Tidewatch API', version: '1', description: 'What was built, what runs where, what it is exposed to.' },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (document) => {
      const openapi = (document as { openapiObject: { paths?: Record<string, unknown> } }).openapiObject;
      Object.assign((openapi.paths ??= {}), repositoryPathsDocument('/api/v1', repositorySubroutes));
      return openapi as any;
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });
  installRequestMetrics(app, metrics);
  registerHealthRoutes(app, storage);
  installAuthentication(app, { db: storage.db, rateLimitPerSecond: config.rateLimitPerSecond });

  await app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
    await api.register(deploymentRoutes, { storage, metrics });
    await api.register(environmentRoutes, { db: storage.db });
    await api.register(trendRoutes, { db: storage.db });
    await api.register(imageRoutes, { db: storage.db });
    await api.register(vulnerabilityRoutes, { db: storage.db });
    await api.register(compareRoutes, { db: storage.db });
    await api.register(tokenRoutes, { db: storage.db });
    await api.register(whoamiRoute, { db: storage.db });
    await api.register(buildRoutes, { storage });
    await api.register(scanRoutes, { storage });
    await api.register(triageRoutes, { storage });
    await api.register(hookRoutes, { storage });
    await api.register(hookEndpointRoutes, { storage, publicUrl: config.publicUrl });
    await api.register(pushRoutes, { storage });
    await api.register(admissionRoutes, { storage, metrics });
    await api.register(clusterRoutes, { storage, publicUrl: config.publicUrl });
    await api.register(policyRoutes, { storage });
    await api.register(decisionRoutes, { db: storage.db });
    registerRepositoryPaths(api, repositorySubroutes);
  }, { prefix: '/api/v1' });
  await app.register(webUi);

  return app;
}

function secretKeyOf(deps: AppDeps): () => Buffer {
  let key = deps.secretKey;
  return () => {
    if (key) return key;
    const { secretKey = null, dataDir } = deps.config;
    if (secretKey === null && dataDir === undefined) {
      throw new Error('no master key for secrets at rest: pass AppDeps.secretKey, config.secretKey or config.dataDir');
    }
    key = ensureSecretKey({ secretKey, dataDir: dataDir ?? '.' });
    return key;
  };
}
