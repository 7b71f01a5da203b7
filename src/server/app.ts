import type http from 'node:http';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import express, { type Express } from 'express';
import type { RequestListener } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { buildFacegraphSchema, type RequestContext } from '../resolvers';
import type { Services } from '../services';
import type { FacegraphConfig } from './config';
import { graphiqlHandlers, resolveGraphiqlDist } from './graphiql';
import { resolveUiDist, uiHandlers } from './ui';
import { entryPoint, GRAPHQL_PATH, jsonErrorHandler, notFound } from './http-errors';
import { operationLimits } from './limits';
import { FACE_IMAGE_ROUTE, faceImageHandler, imageLinkOrigin } from './face-image-route';
import { withoutRedaction } from './logger';
import { Authenticator } from './auth/authenticator';
import { startObservability, type Observability } from './observability';
import { answerCacheHitsFirst } from './cache-hits-first';
import { requestLedgerVersion } from './request-ledger-version';
import { ResponseCache, type CachedAnswer } from './response-cache';
import { subscriptionEndpoint } from './subscriptions';
import {
  allowedHostNames,
  corsPolicy,
  hostAllowed,
  hostCheck,
  rateLimitAtTheDoor,
  rateLimitPerCaller,
  upgradeRateLimit,
} from './surface';
import { callerAtTheDoor } from './auth/http-auth';
import { openBackends } from './backends';
import { logOperation, startApolloServer } from './apollo-server';
import { mountHealthRoutes, readinessCheck, type Readiness } from './health-routes';
import { jsonBodyLimit, mountGraphqlRoute } from './graphql-route';
import { pruneAuditPeriodically } from './audit-pruning';

export type { Readiness } from './health-routes';

export interface FacegraphApp {
  app: Express;
  /** The server's `request` listener: the app, with response cache hits answered ahead of it (cache-hits-first.ts). */
  handler: RequestListener;
  apollo: ApolloServer<RequestContext>;
  schema: GraphQLSchema;
  services: Services;
  ledger: LedgerStore;
  /** Metrics and traces (tests read spans from an in-memory exporter here). */
  observability: Observability;
  /** What GET /readyz reports. */
  readiness(): Promise<Readiness>;
  /** Serves the faceEvents subscription (graphql-ws) on WebSocket upgrades of this HTTP server; once. */
  serveSubscriptions(server: http.Server): void;
  /** Closes the WebSockets (1001) and ends their subscriptions; close() does it too. */
  stopSubscriptions(): Promise<void>;
  /** Resolves once readiness() says ready: the LOCAL face engine warms up in its workers after start. */
  whenReady(): Promise<void>;
  /** Stops Apollo (draining in-flight operations) and closes the vendors, the ledger and Redis. */
  close(): Promise<void>;
}

const READINESS_POLL_MS = 25;

/** Everything but listening: tests and main.ts share this. */
export async function createFacegraphApp(
  config: FacegraphConfig,
  logger: Logger,
  plugins: ApolloServerPlugin<RequestContext>[] = [],
): Promise<FacegraphApp> {
  const observability = await startObservability(config, GRAPHQL_PATH, FACE_IMAGE_ROUTE);
  const backends = await openBackends(config, logger, observability);
  const { ledger, redis, providers, services } = backends;
  const schema = await buildFacegraphSchema();
  observability.tracing?.traceIoResolvers(schema);
  const authenticator = new Authenticator(backends.authSettings, ledger.access, (e) =>
    logger.warn({ err: e }, 'could not record an API key use'),
  );
  if (authenticator.currentMode === 'local-development') {
    logger.warn('no credential is configured: every request is allowed (local development on a loopback address)');
  } else if (authenticator.currentMode === 'none') {
    logger.warn('auth.mode is none: every request is allowed; a router in front must authenticate');
  }

  const limits = operationLimits(config.limits);
  const operationLogger = withoutRedaction(logger);
  const responseCache =
    config.server.responseCacheBytes > 0 ? new ResponseCache(config.server.responseCacheBytes) : null;
  const apollo = await startApolloServer({
    schema,
    logger,
    operationLogger,
    introspection: config.server.introspection,
    limits,
    ledger,
    responseCache,
    observabilityPlugin: observability.plugin<RequestContext>(),
    plugins,
  });

  const ledgerVersionOf = requestLedgerVersion(ledger);
  const allowedHosts = allowedHostNames(config.server);
  const cors = corsPolicy(config.server.cors.origins);
  const rateLimit = rateLimitPerCaller(config.limits.requestsPerMinute, logger, redis, () =>
    observability.metrics?.rateLimitRefused(),
  );
  // Image links and WebSocket upgrades need no credential: the caller is the one they carry, else the address.
  const callerOf = (req: http.IncomingMessage) => callerAtTheDoor(authenticator, req, ledgerVersionOf);
  const imageRateLimit = rateLimitAtTheDoor({
    perMinute: config.limits.imageRequestsPerMinute,
    setting: 'limits.imageRequestsPerMinute',
    what: 'image requests',
    name: 'image-rate',
    redis,
    logger,
    callerOf,
  });
  const bodyLimit = jsonBodyLimit(config.images.maxBytes);
  const servedFromCache = (answer: CachedAnswer, seconds: number) => {
    logOperation(operationLogger, answer.operationName, seconds * 1000, 0);
    observability.answeredFromCache(answer.rootFields, seconds);
  };
  const readiness = readinessCheck(ledger, providers, redis);

  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers at /graphql exactly: not /GRAPHQL, not /graphql/ or /graphql/anything.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(hostCheck(allowedHosts, logger));
  mountHealthRoutes(app, readiness, observability.metricsHandler);
  if (config.server.graphiql) {
    // Before Apollo: it answers browser navigations to GET /graphql and passes the rest on.
    app.use(graphiqlHandlers(resolveGraphiqlDist()));
  }
  // The library browser at /ui: a static page that uses only the public API below (README "Library browser").
  if (config.server.ui) app.use(uiHandlers(resolveUiDist(), config.server.publicUrl));
  mountGraphqlRoute(app, {
    apollo,
    services,
    logger,
    observability,
    cors,
    authenticator,
    rateLimit,
    ledgerVersionOf,
    bodyLimit,
    uploads: { maxBytes: config.images.maxBytes, maxFiles: config.limits.expensiveFieldsPerRequest },
    responseCache,
    servedFromCache,
    originOf: imageLinkOrigin(config.server.publicUrl),
  });
  // Face.imageUrl links: the signature is the credential, so outside /graphql's authentication.
  app.get(
    FACE_IMAGE_ROUTE,
    ...observability.imageRoute.start,
    imageRateLimit.handler,
    faceImageHandler(services.faceImages, logger, observability.imageRoute),
  );
  app.get('/', entryPoint(config.server.graphiql));
  // Last: whatever no route answered, or failed before Apollo.
  app.use(notFound);
  app.use(jsonErrorHandler(logger));

  const stopAuditPruning = pruneAuditPeriodically(ledger, config.audit.retentionDays, logger);
  const subscriptions = subscriptionEndpoint({
    schema,
    services,
    logger,
    authenticator,
    allowedHosts,
    corsOrigins: config.server.cors.origins,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    admitUpgrade: upgradeRateLimit(rateLimit, callerOf, () => observability.metrics?.rateLimitRefused()),
  });

  // With tracing on, every request goes through the route's server span.
  const handler =
    responseCache && !observability.tracing
      ? answerCacheHitsFirst({
          app,
          allowsHost: hostAllowed(allowedHosts),
          cors,
          authenticator,
          rateLimit,
          ledgerVersionOf,
          cache: responseCache,
          bodyLimit,
          served: servedFromCache,
        })
      : app;

  let closed = false;
  return {
    app,
    handler,
    apollo,
    schema,
    services,
    ledger,
    observability,
    readiness,
    serveSubscriptions: (server) => subscriptions.serve(server),
    stopSubscriptions: () => subscriptions.stop(),
    async whenReady() {
      while (!(await readiness()).ready) {
        if (closed) throw new Error('closed before it was ready');
        await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      stopAuditPruning();
      await subscriptions.stop();
      backends.faceEvents.close();
      await apollo.stop();
      await backends.close();
      await observability.close();
    },
  };
}
