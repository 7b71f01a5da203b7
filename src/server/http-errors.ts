import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';

// What answers when no route did, or when a route failed before Apollo (a body that is not JSON, a path that
// does not decode): the GraphQL-over-HTTP error shape, never Express's HTML page, which shows a stack trace
// outside production.

export const GRAPHQL_PATH = '/graphql';

/** GET /: browsers go to GraphiQL when it is served, other clients are told where the endpoint is. */
export function entryPoint(graphiql: boolean): RequestHandler {
  return (req, res) => {
    if (graphiql && req.accepts(['application/json', 'text/html']) === 'text/html') {
      res.redirect(302, GRAPHQL_PATH);
      return;
    }
    res.json({ message: `facegraph: the GraphQL endpoint is ${GRAPHQL_PATH}`, graphql: GRAPHQL_PATH });
  };
}

export const notFound: RequestHandler = (_req, res) => {
  sendError(res, 404, `Not found: the GraphQL endpoint is ${GRAPHQL_PATH}.`, 'NOT_FOUND');
};

/** body-parser's error types: their own messages may quote the body, so each gets a fixed one. */
const BODY_ERRORS: Record<string, { message: string; code: string }> = {
  'entity.parse.failed': { message: 'The request body is not valid JSON.', code: 'BAD_REQUEST' },
  'entity.too.large': { message: 'The request body is larger than this server accepts.', code: 'PAYLOAD_TOO_LARGE' },
  'encoding.unsupported': { message: 'The body has an unsupported Content-Encoding.', code: 'UNSUPPORTED_MEDIA_TYPE' },
  'charset.unsupported': { message: 'The body has an unsupported charset.', code: 'UNSUPPORTED_MEDIA_TYPE' },
};

/** The last handler: logs the failure (no body, no stack) and answers in JSON. */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const failure = err as Partial<Record<'status' | 'statusCode' | 'type' | 'name' | 'message', unknown>>;
    const declared = Number(failure.status ?? failure.statusCode);
    const status = declared >= 400 && declared < 600 ? declared : 500;
    const type = typeof failure.type === 'string' ? failure.type : undefined;
    // The query string can hold an operation and its variables.
    const path = req.originalUrl.split('?')[0].slice(0, 200);
    if (status >= 500) {
      const description = `${String(failure.name ?? 'Error')}: ${String(failure.message ?? '')}`;
      logger.error({ status, method: req.method, path, failure: description }, 'request failed before GraphQL');
    } else {
      logger.warn({ status, type, method: req.method, path }, 'request failed before GraphQL');
    }
    if (res.headersSent) {
      // Part of an answer is out: ending the connection is the only honest thing left.
      req.socket.destroy();
      return;
    }
    const known = type === undefined ? undefined : BODY_ERRORS[type];
    if (status >= 500) sendError(res, status, 'Internal server error', 'INTERNAL_SERVER_ERROR');
    else if (known) sendError(res, status, known.message, known.code);
    else sendError(res, status, STATUS_CODES[status] ?? 'Bad request', status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
  };
}

function sendError(res: Response, status: number, message: string, code: string): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({ errors: [{ message, extensions: { code } }] });
}
