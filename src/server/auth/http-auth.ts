import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Access } from '../../domain/access';
import type { Caller } from '../../resolvers';
import { AuthenticationError, type Authenticator } from './authenticator';

const CALLER = Symbol('facegraph caller');

type WithCaller = IncomingMessage & { [CALLER]?: Caller };

/**
 * Decides who the caller is before Apollo sees the request: a refused credential is answered 401 in the
 * GraphQL-over-HTTP error shape, and nothing is parsed or executed.
 */
export function authenticateRequests(
  authenticator: Authenticator,
  logger: Logger,
  /** The ledger's change version for this request (see RequestCredentials.ledgerVersion). */
  ledgerVersionOf?: (req: Request) => Promise<string>,
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    // Found already by the hit path before Express (cache-hits-first.ts).
    if ((req as WithCaller)[CALLER]) return next();
    try {
      const access = await authenticator.authenticate({
        authorization: req.get('authorization') ?? null,
        routerSecret: req.get('x-router-secret') ?? null,
        ledgerVersion: ledgerVersionOf && (() => ledgerVersionOf(req)),
      });
      setCaller(req, authenticator, access);
      next();
    } catch (e) {
      if (!(e instanceof AuthenticationError)) return next(e);
      logger.info({ reason: e.message, client: req.socket.remoteAddress }, 'request refused: not authenticated');
      res
        .status(401)
        .set('www-authenticate', 'Bearer realm="facegraph"')
        .json({ errors: [{ message: e.message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  };
}

/** Records who the caller of `req` is (what authenticateRequests found, or the hit path before Express). */
export function setCaller(req: IncomingMessage, authenticator: Authenticator, access: Access): Caller {
  const caller: Caller = {
    access,
    address: req.socket.remoteAddress ?? null,
    onApiKeyCreated: () => authenticator.keyCreated(),
  };
  (req as WithCaller)[CALLER] = caller;
  return caller;
}

/** The caller that authenticateRequests found for this request. */
export function callerOf(req: IncomingMessage): Caller {
  const caller = (req as WithCaller)[CALLER];
  if (!caller) throw new Error('authenticateRequests did not run before the GraphQL handler');
  return caller;
}

/**
 * Who is asking where no credential is required (image links, WebSocket upgrades, whose credential comes later in
 * connection_init): the actor of a valid credential the request carries, else an anonymous caller at its client
 * address. Never refuses: a wrong credential counts as none here.
 */
export async function callerAtTheDoor(
  authenticator: Authenticator,
  req: IncomingMessage,
  ledgerVersionOf?: (req: IncomingMessage) => Promise<string>,
): Promise<{ access: { actor: string }; address: string | null }> {
  const address = req.socket.remoteAddress ?? null;
  const authorization = req.headers.authorization;
  // The common case (an <img>, a browser's WebSocket): no credential to check.
  if (!authorization) return { access: { actor: 'anonymous' }, address };
  const routerSecret = req.headers['x-router-secret'];
  try {
    const access = await authenticator.authenticate({
      authorization,
      routerSecret: typeof routerSecret === 'string' ? routerSecret : null,
      ledgerVersion: ledgerVersionOf && (() => ledgerVersionOf(req)),
    });
    return { access: { actor: access.actor }, address };
  } catch (e) {
    if (!(e instanceof AuthenticationError)) throw e;
    return { access: { actor: 'anonymous' }, address };
  }
}

/** Callers with the same scopes and providers see the same answers; others never share a cached one. */
export function accessPartition(access: Access): string {
  const providers = access.providers ? [...access.providers].sort().join(',') : '*';
  return `${[...access.scopes].sort().join(',')}|${providers}`;
}
