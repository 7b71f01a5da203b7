import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { createRequestContext, type Caller } from '../resolvers';
import type { Services } from '../services';
import { AuthenticationError, type Authenticator } from './auth/authenticator';
import { GRAPHQL_PATH } from './http-errors';
import { hostAllowed, type UpgradeRefusal } from './surface';

// Subscriptions (faceEvents) over graphql-ws, on a WebSocket at /graphql on the same HTTP server. The upgrade is
// checked as an HTTP request is (Host, and the browser's Origin); the credential travels in connection_init's
// payload ({ authorization: "Bearer ..." }, as the HTTP header would) and is checked there, once per connection.

/** Open WebSockets per replica; past it an upgrade is answered 503. */
export const MAX_WEBSOCKETS = 1000;
/** Subscriptions one WebSocket may hold at once; past it a subscribe is answered with an error. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 10;
/** A subscribe message carries one operation: no image, no batch. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Close reasons are at most 123 bytes (RFC 6455). */
const MAX_CLOSE_REASON = 123;

export interface SubscriptionSettings {
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  authenticator: Authenticator;
  allowedHosts: readonly string[];
  /** server.cors.origins: browser pages of other origins that may connect. */
  corsOrigins: readonly string[];
  validationRules: readonly ValidationRule[];
  parseOptions: { maxTokens: number };
  /** The per-caller rate limit, counted for each upgrade that passes the checks above it; null lets it in. */
  admitUpgrade?: (request: IncomingMessage) => Promise<UpgradeRefusal | null>;
}

type ConnectionExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  caller?: Caller;
};

export interface SubscriptionServer {
  /** Closes every WebSocket (1001 Going away) and ends their subscriptions. */
  close(): Promise<void>;
}

export function serveSubscriptions(httpServer: Server, settings: SubscriptionSettings): SubscriptionServer {
  const { logger, authenticator } = settings;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const allowsHost = hostAllowed(settings.allowedHosts);
  const originAllowed = (origin: string | undefined) => {
    // Not a browser (browsers always send Origin on a WebSocket), or a page this server's own names serve.
    if (origin === undefined || settings.corsOrigins.includes(origin)) return true;
    try {
      return allowsHost(new URL(origin).host);
    } catch {
      return false;
    }
  };

  const refuse = (request: IncomingMessage, socket: Duplex, status: number, reason: string) => {
    logger.info({ status, reason, client: request.socket.remoteAddress }, 'WebSocket refused');
    // Node's HTTP server no longer listens for errors on an upgraded socket: a reset while the refusal is written
    // would be an uncaught 'error' event.
    socket.on('error', ignoreError);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const admitted = async (request: IncomingMessage, socket: Duplex): Promise<boolean> => {
    if (!settings.admitUpgrade) return true;
    // Until ws takes the socket (it listens for errors itself), a client that hangs up must not throw.
    socket.on('error', ignoreError);
    let refusal;
    try {
      refusal = await settings.admitUpgrade(request);
    } finally {
      socket.off('error', ignoreError);
    }
    if (!refusal) return true;
    socket.on('error', ignoreError);
    logger.info(
      { status: 429, retryAfterSeconds: refusal.retryAfterSeconds, client: request.socket.remoteAddress },
      'WebSocket refused: rate limit',
    );
    const body = JSON.stringify(refusal.body);
    socket.end(
      `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${refusal.retryAfterSeconds}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
    return false;
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== GRAPHQL_PATH) return refuse(request, socket, 404, 'not the GraphQL path');
    if (!allowsHost(request.headers.host)) return refuse(request, socket, 403, 'Host not allowed');
    if (!originAllowed(request.headers.origin)) return refuse(request, socket, 403, 'Origin not allowed');
    admitted(request, socket).then(
      (admit) => {
        if (!admit || socket.destroyed) return;
        if (wss.clients.size >= MAX_WEBSOCKETS) {
          return refuse(request, socket, 503, `at most ${MAX_WEBSOCKETS} WebSockets`);
        }
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      },
      (e: unknown) => {
        // The count failed (not a refusal): the upgrade is answered as any failure before the handshake.
        logger.error({ failure: e instanceof Error ? e.name : 'unknown' }, 'WebSocket upgrade failed');
        if (!socket.destroyed) refuse(request, socket, 500, 'Internal Server Error');
      },
    );
  };
  httpServer.on('upgrade', onUpgrade);

  const server = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema: settings.schema,
      parse: (source) => parse(source, settings.parseOptions),
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...settings.validationRules]),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const { socket, request } = ctx.extra;
        try {
          const access = await authenticator.authenticate({
            authorization: textParam(params, 'authorization'),
            routerSecret: textParam(params, 'x-router-secret'),
          });
          if (!access.scopes.has('read')) {
            close(socket, CloseCode.Forbidden, 'Forbidden: subscriptions need the read scope.');
            return false;
          }
          ctx.extra.caller = {
            access,
            address: request.socket.remoteAddress ?? null,
            onApiKeyCreated: () => authenticator.keyCreated(),
          };
          return true;
        } catch (e) {
          if (!(e instanceof AuthenticationError)) throw e;
          logger.info(
            { reason: e.message, client: request.socket.remoteAddress },
            'WebSocket refused: not authenticated',
          );
          close(socket, CloseCode.Unauthorized, `Unauthorized: ${e.message}`);
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        const refusal = notASubscription(payload.query, payload.operationName, settings.parseOptions);
        if (refusal) return [refusal];
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [
            new GraphQLError(
              `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per WebSocket; complete one first.`,
              { extensions: { code: 'LIMIT_EXCEEDED' } },
            ),
          ];
        }
        return undefined;
      },
      context: (ctx) => createRequestContext(settings.services, logger, ctx.extra.caller),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((error) => masked(error, logger)) };
      },
    },
    wss,
  );

  return {
    async close() {
      httpServer.off('upgrade', onUpgrade);
      settings.services.faceEvents.close();
      await server.dispose();
    },
  };
}

/** Subscriptions served on one HTTP server, once, and stopped on demand (the app's close stops them too). */
export interface SubscriptionEndpoint {
  serve(httpServer: Server): void;
  stop(): Promise<void>;
}

export function subscriptionEndpoint(settings: SubscriptionSettings): SubscriptionEndpoint {
  let subscriptions: SubscriptionServer | null = null;
  return {
    serve(httpServer) {
      if (subscriptions) throw new Error('subscriptions are served already');
      subscriptions = serveSubscriptions(httpServer, settings);
    },
    async stop() {
      const open = subscriptions;
      subscriptions = null;
      await open?.close();
    },
  };
}

/**
 * Queries and mutations go over HTTP, where the rate limit and the per-request limits apply: the WebSocket takes
 * subscriptions only. A document that does not parse is left to graphql-ws, which reports the syntax error.
 */
function notASubscription(
  query: string,
  operationName: string | null | undefined,
  parseOptions: { maxTokens: number },
) {
  let operation;
  try {
    operation = getOperationAST(parse(query, parseOptions), operationName ?? undefined);
  } catch {
    return null;
  }
  if (operation && operation.operation !== 'subscription') {
    return new GraphQLError(
      `Only subscriptions are served over the WebSocket: send a ${operation.operation} as an HTTP POST.`,
      {
        extensions: { code: 'BAD_REQUEST' },
      },
    );
  }
  return null;
}

function ignoreError(): void {}

function textParam(params: Record<string, unknown>, name: string): string | null {
  const value = params[name] ?? params[name.toLowerCase()] ?? params[capitalized(name)];
  return typeof value === 'string' ? value : null;
}

function capitalized(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
}

function close(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, Buffer.from(reason).subarray(0, MAX_CLOSE_REASON).toString());
}

/** As on HTTP: an error that is not a GraphQLError is a bug, logged here and told to nobody. */
function masked(error: GraphQLError, logger: Logger) {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return error.toJSON();
  logger.error({ err: original, path: error.path }, 'internal error while resolving a subscription event');
  return { message: 'Internal server error', path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
