import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { RequestContext } from '../resolvers';
import { accessPartition } from './auth/http-auth';
import { preparedReadOf } from './cache-hits';
import { subscriptionsNotOverHttp } from './client-mistakes';
import { compiledExecution } from './compiled-execution';
import type { OperationLimits } from './limits';
import { responseCachePlugin, type ResponseCache } from './response-cache';

// The GraphQL engine behind POST /graphql: Apollo with the request limits, the operation log line, the response
// cache and the observability plugin, and errors masked so that only expected failures reach the client.

export interface ApolloParts {
  schema: GraphQLSchema;
  logger: Logger;
  /** Logger for the operation log line (not redacted: it holds names and timings only). */
  operationLogger: Logger;
  introspection: boolean;
  limits: OperationLimits;
  ledger: LedgerStore;
  responseCache: ResponseCache | null;
  observabilityPlugin: ApolloServerPlugin<RequestContext> | null;
  /** Extra plugins (tests), after ours. */
  plugins: ApolloServerPlugin<RequestContext>[];
}

/** Builds and starts Apollo. */
export async function startApolloServer(parts: ApolloParts): Promise<ApolloServer<RequestContext>> {
  const { schema, logger, limits, ledger, responseCache, observabilityPlugin } = parts;
  const apollo = new ApolloServer<RequestContext>({
    gateway: compiledExecution(schema),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    introspection: parts.introspection,
    // Without introspection, "Did you mean ...?" suggestions would leak the schema just the same.
    hideSchemaDetailsFromClientErrors: !parts.introspection,
    logger,
    // main.ts owns shutdown (stop listening, drain, close engine and ledger); Apollo must not race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskInternalError(formatted, error, logger),
    // No field sets cache hints, so the cache-control plugin would only wrap every resolver for nothing.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      operationLogPlugin(parts.operationLogger),
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
      ...parts.plugins,
    ],
  });
  await apollo.start();
  return apollo;
}

/** One line per operation, answered from the response cache or not. */
export function logOperation(logger: Logger, operationName: string | null, ms: number, errors: number): void {
  // Operation name and timing only: variables can hold images and personal data.
  logger.info({ operationName, ms: Math.round(ms * 10) / 10, errors }, 'graphql operation');
}

/**
 * Expected failures are union members; what reaches here as a non-GraphQL error is a bug: log it, tell the client
 * nothing.
 */
function maskInternalError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError && formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  // Apollo's own refusals of a request (e.g. a persisted-query hash that does not match) carry a 4xx but no code.
  const http = original instanceof GraphQLError ? original.extensions?.http : undefined;
  const status = (http as { status?: number } | undefined)?.status || 0;
  if (status >= 400 && status < 500) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
  }
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
          logOperation(logger, operationName ?? null, ms, errors?.length ?? 0);
        },
      };
    },
  };
}
