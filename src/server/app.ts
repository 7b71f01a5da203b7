import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { openLedger } from '../datasources/ledger';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { createRequestContext, referenceResolvers, resolvers, type RequestContext } from '../resolvers';
import { buildSubgraph } from '../schema/build-subgraph';
import { createServices, ProviderRegistry, type Services } from '../services';
import type { FacegraphConfig } from './config';
import { graphiqlHandlers, resolveGraphiqlDist } from './graphiql';
import { entryPoint, GRAPHQL_PATH, jsonErrorHandler, notFound } from './http-errors';
import { operationLimits } from './limits';
import { createVendors } from './providers';
import { responseCachePlugin } from './response-cache';

export interface FacegraphApp {
  app: Express;
  apollo: ApolloServer<RequestContext>;
  schema: GraphQLSchema;
  services: Services;
  ledger: LedgerStore;
  /** What GET /readyz reports. */
  readiness(): Promise<Readiness>;
  /** Resolves once readiness() says ready: the LOCAL face engine warms up in its workers after start. */
  whenReady(): Promise<void>;
  /** Stops Apollo (draining in-flight operations) and closes the vendors and the ledger. */
  close(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  ledger: 'ok' | 'unavailable';
  providers: 'ok' | 'starting';
}

const READINESS_POLL_MS = 25;

/** Everything but listening: tests and main.ts share this. */
export async function createFacegraphApp(config: FacegraphConfig, logger: Logger, plugins: ApolloServerPlugin<RequestContext>[] = []): Promise<FacegraphApp> {
  const ledger = await openLedger(config.ledger.url);
  await ledger.migrate();
  const adapters = createVendors(config, ledger, logger);
  const providers = new ProviderRegistry(adapters.vendors);
  const services = createServices(ledger, providers, { limits: config.images, urlFetch: config.images.urlFetch });
  // Before serving: image files a crash left without a face (between a delete's commit and the file removal).
  await services.storedImages.sweep();
  const schema = await buildSubgraph([...resolvers], referenceResolvers);

  const limits = operationLimits(config.limits);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    introspection: true,
    logger,
    // main.ts owns shutdown (stop listening, drain, close engine and ledger); Apollo must not race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskInternalError(formatted, error, logger),
    // No field sets cache hints, so the cache-control plugin would only wrap every resolver for nothing.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      operationLogPlugin(logger),
      limits.plugin,
      ...(config.server.responseCacheBytes > 0 ? [responseCachePlugin<RequestContext>(ledger, config.server.responseCacheBytes)] : []),
      ...plugins,
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
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
    };
  };
  app.get('/readyz', async (_req, res) => {
    const { ready, ...parts } = await readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...parts });
  });
  if (config.server.graphiql) {
    // Before Apollo: it answers browser navigations to GET /graphql and passes the rest on.
    app.use(graphiqlHandlers(resolveGraphiqlDist()));
  }
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: jsonBodyLimit(config.images.maxBytes) }),
    expressMiddleware(apollo, { context: async () => createRequestContext(services, logger) }),
  );
  app.get('/', entryPoint(config.server.graphiql));
  // Last: whatever no route answered, or failed before Apollo.
  app.use(notFound);
  app.use(jsonErrorHandler(logger));

  let closed = false;
  return {
    app,
    apollo,
    schema,
    services,
    ledger,
    readiness,
    async whenReady() {
      while (!(await readiness()).ready) {
        if (closed) throw new Error('closed before it was ready');
        await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await apollo.stop();
      await providers.close();
      await adapters.close();
      await ledger.close();
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
  logger.error({ err: original, path: formatted.path }, 'internal error while resolving an operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

function operationLogPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, errors }) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          // Operation name and timing only: variables can hold images and personal data.
          logger.info({ operationName: operationName ?? null, ms: Math.round(ms * 10) / 10, errors: errors?.length ?? 0 }, 'graphql operation');
        },
      };
    },
  };
}
