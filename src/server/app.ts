import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { RequestListener } from 'node:http';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { openLedger } from '../datasources/ledger';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { RedisConnection } from '../datasources/redis/redis-connection';
import { RedisBroadcast } from '../datasources/redis/redis-broadcast';
import { sharedRateLimits } from '../datasources/redis/shared-rate-limit';
import { buildFacegraphSchema, createRequestContext, type RequestContext } from '../resolvers';
import { createServices, FaceEvents, ProviderRegistry, type Services } from '../services';
import type { FacegraphConfig } from './config';
import { graphiqlHandlers, resolveGraphiqlDist } from './graphiql';
import { resolveUiDist, uiHandlers } from './ui';
import { entryPoint, GRAPHQL_PATH, jsonErrorHandler, notFound } from './http-errors';
import { operationLimits } from './limits';
import { compiledExecution } from './compiled-execution';
import { subscriptionsNotOverHttp } from './client-mistakes';
import { FACE_IMAGE_ROUTE, faceImageHandler, imageLinkOrigin } from './face-image-route';
import { withoutRedaction } from './logger';
import { createVendors } from './providers';
import { decideAuthSettings } from './auth/auth-mode';
import { Authenticator } from './auth/authenticator';
import { accessPartition, authenticateRequests, callerOf } from './auth/http-auth';
import { METRICS_PATH, startObservability, type Observability } from './observability';
import { answerCacheHitsFirst, unlessBodyReadFirst } from './cache-hits-first';
import { answerCachedReads, preparedLedgerVersion, preparedReadOf, withPreparedRead } from './cache-hits';
import { requestLedgerVersion } from './request-ledger-version';
import { ResponseCache, responseCachePlugin, type CachedAnswer } from './response-cache';
import { serveSubscriptions, type SubscriptionServer } from './subscriptions';
import { multipartUploads } from './uploads';
import { allowedHostNames, corsPolicy, hostAllowed, hostCheck, rateLimitPerCaller } from './surface';

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

export interface Readiness {
  ready: boolean;
  ledger: 'ok' | 'unavailable';
  providers: 'ok' | 'starting';
  /** Only with redis.url. Informational: without Redis the limits are per replica, and the server still serves. */
  redis?: 'ok' | 'unavailable';
}

const READINESS_POLL_MS = 25;
/** How long a start waits for Redis before serving with per-replica limits. */
const REDIS_START_WAIT_MS = 2_000;
/** audit.retentionDays is applied at start and then hourly. */
const AUDIT_PRUNE_INTERVAL_MS = 60 * 60_000;
/** While Redis is away every write would fail to relay its events: one warning a minute says so. */
const RELAY_WARNING_INTERVAL_MS = 60_000;

/** Everything but listening: tests and main.ts share this. */
export async function createFacegraphApp(config: FacegraphConfig, logger: Logger, plugins: ApolloServerPlugin<RequestContext>[] = []): Promise<FacegraphApp> {
  const observability = await startObservability(config, GRAPHQL_PATH);
  const ledger = observability.instrumentLedger(
    await openLedger(config.ledger.url, { poolSize: config.ledger.poolSize }).catch(async (e: unknown) => {
      await observability.close();
      throw e;
    }),
  );
  await ledger.migrate();
  // Before anything starts (the face engine's workers): a server nobody may reach unauthenticated stops here.
  const ledgerHasKeys = (await ledger.access.countUsableApiKeys(new Date())) > 0;
  let authSettings;
  try {
    authSettings = decideAuthSettings(config.auth, config.server.host, ledgerHasKeys);
  } catch (e) {
    await ledger.close();
    await observability.close();
    throw e;
  }
  const redis = config.redis ? new RedisConnection(config.redis, logger) : null;
  await redis?.whenConnected(REDIS_START_WAIT_MS);
  const adapters = createVendors(config, ledger, logger, {
    observers: observability.vendorObservers,
    rateLimits: redis ? sharedRateLimits(redis) : undefined,
  });
  const providers = new ProviderRegistry(adapters.vendors);
  let lastRelayWarning = 0;
  const faceEvents = new FaceEvents((e) => {
    if (Date.now() - lastRelayWarning < RELAY_WARNING_INTERVAL_MS) return;
    lastRelayWarning = Date.now();
    // The message only: ioredis errors can carry the command, and the event holds personal data.
    const reason = e instanceof Error ? e.message : String(e);
    logger.warn({ reason }, 'face events not relayed to other replicas (Redis)');
  });
  const faceEventBroadcast = redis ? new RedisBroadcast(redis, 'face-events') : null;
  if (faceEventBroadcast) {
    faceEvents.relayThrough(faceEventBroadcast);
    if (redis?.isAvailable()) await faceEventBroadcast.whenListening(REDIS_START_WAIT_MS);
  }
  const { keep, urlTtlSeconds, urlSigningKey, thumbnailCacheBytes } = config.images;
  const services = createServices(
    ledger,
    providers,
    { limits: config.images, urlFetch: config.images.urlFetch },
    { keep, urlTtlSeconds, urlSigningKey, thumbnailCacheBytes },
    faceEvents,
  );
  // Before serving: image files a crash left without a face (between a delete's commit and the file removal).
  await services.storedImages.sweep();
  const schema = await buildFacegraphSchema();
  observability.tracing?.traceIoResolvers(schema);
  const observabilityPlugin = observability.plugin<RequestContext>();
  const authenticator = new Authenticator(
    authSettings,
    ledger.access,
    (e) => logger.warn({ err: e }, 'could not record an API key use'),
  );
  if (authenticator.currentMode === 'local-development') {
    logger.warn('no credential is configured: every request is allowed (local development on a loopback address)');
  } else if (authenticator.currentMode === 'none') {
    logger.warn('auth.mode is none: every request is allowed; a router in front must authenticate');
  }

  const limits = operationLimits(config.limits);
  const originOf = imageLinkOrigin(config.server.publicUrl);
  const operationLogger = withoutRedaction(logger);
  const responseCache = config.server.responseCacheBytes > 0 ? new ResponseCache(config.server.responseCacheBytes) : null;
  const apollo = new ApolloServer<RequestContext>({
    gateway: compiledExecution(schema),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    introspection: config.server.introspection,
    // Without introspection, "Did you mean ...?" suggestions would leak the schema just the same.
    hideSchemaDetailsFromClientErrors: !config.server.introspection,
    logger,
    // main.ts owns shutdown (stop listening, drain, close engine and ledger); Apollo must not race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskInternalError(formatted, error, logger),
    // No field sets cache hints, so the cache-control plugin would only wrap every resolver for nothing.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      operationLogPlugin(operationLogger),
      limits.plugin,
      subscriptionsNotOverHttp<RequestContext>(),
      ...(responseCache
        ? [
            responseCachePlugin<RequestContext>(
              ledger,
              responseCache,
              (c) => accessPartition(c.caller.access),
              preparedReadOf,
            ),
          ]
        : []),
      // After the response cache: it reads the cache header that plugin sets.
      ...(observabilityPlugin ? [observabilityPlugin] : []),
      ...plugins,
    ],
  });
  await apollo.start();

  const ledgerVersionOf = requestLedgerVersion(ledger);
  const cors = corsPolicy(config.server.cors.origins);
  const rateLimit = rateLimitPerCaller(config.limits.requestsPerMinute, logger, redis, () =>
    observability.metrics?.rateLimitRefused(),
  );
  const bodyLimit = jsonBodyLimit(config.images.maxBytes);
  const servedFromCache = (answer: CachedAnswer, seconds: number) => {
    logOperation(operationLogger, answer.operationName, seconds * 1000, 0);
    observability.answeredFromCache(answer.rootFields, seconds);
  };
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers at /graphql exactly: not /GRAPHQL, not /graphql/ or /graphql/anything.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(hostCheck(allowedHostNames(config.server), logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const readiness = async (): Promise<Readiness> => {
    const ledgerReady = await ledger.isReady().catch(() => false);
    const providersReady = providers.isReady();
    return {
      ready: ledgerReady && providersReady,
      ledger: ledgerReady ? 'ok' : 'unavailable',
      providers: providersReady ? 'ok' : 'starting',
      ...(redis ? { redis: await redis.check() } : {}),
    };
  };
  app.get('/readyz', async (_req, res) => {
    const { ready, ...parts } = await readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...parts });
  });
  // Scraped inside the cluster, without a credential (counts and timings only); the Host check above applies.
  if (observability.metricsHandler) app.get(METRICS_PATH, observability.metricsHandler);
  if (config.server.graphiql) {
    // Before Apollo: it answers browser navigations to GET /graphql and passes the rest on.
    app.use(graphiqlHandlers(resolveGraphiqlDist()));
  }
  // The library browser at /ui: a static page that uses only the public API below (README "Library browser").
  if (config.server.ui) app.use(uiHandlers(resolveUiDist(), config.server.publicUrl));
  app.all(
    GRAPHQL_PATH,
    ...observability.graphqlRoute.start,
    cors,
    authenticateRequests(authenticator, logger, ledgerVersionOf),
    rateLimit,
    unlessBodyReadFirst(express.json({ limit: bodyLimit })),
    multipartUploads({ maxBytes: config.images.maxBytes, maxFiles: config.limits.expensiveFieldsPerRequest }, logger),
    ...observability.graphqlRoute.resume,
    ...(responseCache
      ? [
          answerCachedReads(ledgerVersionOf, responseCache, {
            partitionOf: (req) => accessPartition(callerOf(req).access),
            served: servedFromCache,
          }),
        ]
      : []),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        withPreparedRead(
          createRequestContext(services, logger, callerOf(req), originOf(req), preparedLedgerVersion(req)),
          req,
        ),
    }),
  );
  // Face.imageUrl links: the signature is the credential, so outside /graphql's authentication.
  app.get(FACE_IMAGE_ROUTE, faceImageHandler(services.faceImages, logger));
  app.get('/', entryPoint(config.server.graphiql));
  // Last: whatever no route answered, or failed before Apollo.
  app.use(notFound);
  app.use(jsonErrorHandler(logger));

  const pruneAudit = () =>
    ledger.access
      .pruneAuditEvents(new Date(Date.now() - config.audit.retentionDays * 86_400_000))
      .catch((e) => logger.warn({ err: e }, 'could not prune the audit log'));
  void pruneAudit();
  const auditPruning = setInterval(pruneAudit, AUDIT_PRUNE_INTERVAL_MS);
  auditPruning.unref();

  let subscriptions: SubscriptionServer | null = null;
  const stopSubscriptions = async () => {
    const open = subscriptions;
    subscriptions = null;
    await open?.close();
  };

  // With tracing on, every request goes through the route's server span.
  const handler =
    responseCache && !observability.tracing
      ? answerCacheHitsFirst({
          app,
          allowsHost: hostAllowed(allowedHostNames(config.server)),
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
    serveSubscriptions(server) {
      if (subscriptions) throw new Error('subscriptions are served already');
      subscriptions = serveSubscriptions(server, {
        schema,
        services,
        logger,
        authenticator,
        allowedHosts: allowedHostNames(config.server),
        corsOrigins: config.server.cors.origins,
        validationRules: limits.validationRules,
        parseOptions: limits.parseOptions,
      });
    },
    stopSubscriptions,
    async whenReady() {
      while (!(await readiness()).ready) {
        if (closed) throw new Error('closed before it was ready');
        await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(auditPruning);
      await stopSubscriptions();
      faceEvents.close();
      await apollo.stop();
      await providers.close();
      await adapters.close();
      await ledger.close();
      faceEventBroadcast?.close();
      await redis?.close();
      await observability.close();
    },
  };
}

/** base64 grows bytes by 4/3; leave room for the rest of the operation. */
function jsonBodyLimit(maxImageBytes: number): number {
  return Math.ceil((maxImageBytes * 4) / 3) + 1024 * 1024;
}

/** Expected failures are union members; what reaches here as a non-GraphQL error is a bug: log it, tell the client nothing. */
function maskInternalError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError && formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  // Apollo's own refusals of a request (e.g. a persisted-query hash that does not match) carry a 4xx but no code.
  const status = (original instanceof GraphQLError && (original.extensions?.http as { status?: number } | undefined)?.status) || 0;
  if (status >= 400 && status < 500) return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
  logger.error({ err: original, path: formatted.path }, 'internal error while resolving an operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

function operationLogPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, errors }) {
          logOperation(logger, operationName ?? null, Number(process.hrtime.bigint() - started) / 1e6, errors?.length ?? 0);
        },
      };
    },
  };
}

/** One line per operation, answered from the response cache or not. */
function logOperation(logger: Logger, operationName: string | null, ms: number, errors: number): void {
  // Operation name and timing only: variables can hold images and personal data.
  logger.info({ operationName, ms: Math.round(ms * 10) / 10, errors }, 'graphql operation');
}
