import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createRequestContext, type RequestContext } from '../resolvers';
import type { Services } from '../services';
import type { Authenticator } from './auth/authenticator';
import { accessPartition, authenticateRequests, callerOf } from './auth/http-auth';
import { unlessBodyReadFirst } from './cache-hits-first';
import { answerCachedReads, preparedLedgerVersion, withPreparedRead } from './cache-hits';
import { GRAPHQL_PATH } from './http-errors';
import type { Observability } from './observability';
import type { CachedAnswer, ResponseCache } from './response-cache';
import type { CallerRateLimit } from './surface';
import { multipartUploads } from './uploads';

// The GraphQL route at /graphql, in the order a request meets its steps: the server span, CORS, the credential,
// the per-caller rate limit, the body (JSON or a multipart upload), a response cache hit, and Apollo.

export interface GraphqlRouteParts {
  apollo: ApolloServer<RequestContext>;
  services: Services;
  logger: Logger;
  observability: Observability;
  cors: RequestHandler;
  authenticator: Authenticator;
  rateLimit: CallerRateLimit;
  ledgerVersionOf(req: Request): Promise<string>;
  /** express.json's limit (jsonBodyLimit). */
  bodyLimit: number;
  uploads: { maxBytes: number; maxFiles: number };
  responseCache: ResponseCache | null;
  /** Told of every answer served from the response cache (log line, metrics). */
  servedFromCache(answer: CachedAnswer, seconds: number): void;
  /** The origin Face.imageUrl links are made on, for this request. */
  originOf(req: Request): string;
}

export function mountGraphqlRoute(app: Express, parts: GraphqlRouteParts): void {
  const { observability, logger, responseCache, ledgerVersionOf } = parts;
  app.all(
    GRAPHQL_PATH,
    ...observability.graphqlRoute.start,
    parts.cors,
    authenticateRequests(parts.authenticator, logger, ledgerVersionOf),
    parts.rateLimit,
    unlessBodyReadFirst(express.json({ limit: parts.bodyLimit })),
    multipartUploads(parts.uploads, logger),
    ...observability.graphqlRoute.resume,
    ...(responseCache
      ? [
          answerCachedReads(ledgerVersionOf, responseCache, {
            partitionOf: (req) => accessPartition(callerOf(req).access),
            served: parts.servedFromCache,
          }),
        ]
      : []),
    expressMiddleware(parts.apollo, {
      context: async ({ req }) =>
        withPreparedRead(
          createRequestContext(parts.services, logger, callerOf(req), parts.originOf(req), preparedLedgerVersion(req)),
          req,
        ),
    }),
  );
}

/** base64 grows bytes by 4/3; leave room for the rest of the operation. */
export function jsonBodyLimit(maxImageBytes: number): number {
  return Math.ceil((maxImageBytes * 4) / 3) + 1024 * 1024;
}
