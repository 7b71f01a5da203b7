import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisConnection } from '../datasources/redis/redis-connection';
import type { Caller } from '../resolvers';
import { callerOf } from './auth/http-auth';

// What stands between the network and the GraphQL endpoint, besides credentials: which Host names are served,
// which browser origins may call, and how many requests one caller may make.

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
/** Orchestrators probe these by pod or container address, and they reveal nothing. */
const HOST_CHECK_EXEMPT = new Set(['/healthz', '/readyz']);

/**
 * Refuses a Host this server does not answer to: without it, a web page can reach a server on loopback through
 * DNS rebinding (its own name, resolved to 127.0.0.1, with the browser's cookies and no CORS in the way).
 */
export function hostCheck(allowed: readonly string[], logger: Logger): RequestHandler {
  const allows = hostAllowed(allowed);
  return (req, res, next) => {
    if (HOST_CHECK_EXEMPT.has(req.path)) return next();
    if (allows(req.headers.host)) return next();
    logger.info({ method: req.method, path: req.path }, 'request refused: Host not allowed');
    res.status(403).json({
      errors: [
        {
          message: 'This server does not answer to that Host name: add it to server.allowedHosts (or set server.publicUrl).',
          extensions: { code: 'HOST_NOT_ALLOWED' },
        },
      ],
    });
  };
}

/** Whether a Host header (name and optional port) names one of `allowed`: hostCheck's test, also applied where
 * Express does not run (cache hits ahead of it, WebSocket upgrades). */
export function hostAllowed(allowed: readonly string[]): (header: string | undefined) => boolean {
  const names = new Set(allowed.map((h) => h.toLowerCase().replace(/^\[|\]$/g, '')));
  return (header) => {
    const host = hostName(header);
    return host !== null && names.has(host);
  };
}

/** The Host header without its port, lower-case; null when missing or malformed. */
function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(header.trim());
  return match ? (match[1] ?? match[2]).toLowerCase() : null;
}

/** server.allowedHosts, or the loopback names, the host the server binds (when it names one) and publicUrl's. */
export function allowedHostNames(server: { host: string; publicUrl?: string; allowedHosts?: string[] }): string[] {
  if (server.allowedHosts) return server.allowedHosts;
  const names = [...LOOPBACK_NAMES];
  if (!['0.0.0.0', '::', ''].includes(server.host)) names.push(server.host);
  if (server.publicUrl) names.push(new URL(server.publicUrl).hostname);
  return names;
}

/** No CORS headers unless server.cors.origins lists the origin (then the headers a GraphQL client needs). */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name'],
    maxAge: 600,
  });
}

const RATE_DECISION = Symbol('facegraph rate limit decision');
type WithRateDecision = IncomingMessage & { [RATE_DECISION]?: number | null };

/** The per-caller limit as an Express handler, and its count alone for the hit path before Express. */
export type CallerRateLimit = RequestHandler & {
  /** Counts one request of `caller`: null when it is let in, else the seconds to wait. */
  admit(caller: Caller): Promise<number | null>;
};

/**
 * Records that `req` was counted already (null: let in; a number: refused, wait that many seconds), so the
 * handler answers as counted instead of counting the request twice.
 */
export function rateLimitDecided(req: IncomingMessage, seconds: number | null): void {
  (req as WithRateDecision)[RATE_DECISION] = seconds;
}

/**
 * At most `perMinute` requests a minute per credential (per client address for anonymous callers): over it,
 * 429 with Retry-After and a RATE_LIMITED error carrying the wait. Counted in Redis when given, so the minute's
 * requests are counted across replicas; in memory otherwise, and while Redis is unreachable (one replica's count).
 */
export function rateLimitPerCaller(
  perMinute: number,
  logger: Logger,
  redis: RedisConnection | null = null,
  /** Told of every refusal (metrics). */
  onRefused: () => void = () => {},
): CallerRateLimit {
  const ownLimiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  const sharedLimiter = redis
    ? new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: redis.key('caller-rate'),
        points: perMinute,
        duration: 60,
        insuranceLimiter: ownLimiter,
        rejectIfRedisNotReady: true,
      })
    : null;
  const admit = async ({ access, address }: Caller): Promise<number | null> => {
    const key = access.actor === 'anonymous' ? `address:${address ?? 'unknown'}` : `actor:${access.actor}`;
    // While Redis is known to be away, straight to this replica's count rather than through a failing command.
    const limiter = sharedLimiter && redis?.isAvailable() ? sharedLimiter : ownLimiter;
    try {
      await limiter.consume(key);
      return null;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    }
  };
  const middleware = async (req: Request, res: Response, next: NextFunction) => {
    const caller = callerOf(req);
    let seconds: number | null;
    const decided = (req as WithRateDecision)[RATE_DECISION];
    if (decided !== undefined) {
      seconds = decided;
    } else {
      try {
        seconds = await admit(caller);
      } catch (e) {
        return next(e);
      }
    }
    if (seconds === null) return next();
    onRefused();
    logger.info({ actor: caller.access.actor, retryAfterSeconds: seconds }, 'request refused: rate limit');
    res
      .status(429)
      .set('retry-after', String(seconds))
      .json({
        errors: [
          {
            message: `Too many requests: at most ${perMinute} a minute for this credential (limits.requestsPerMinute); retry in ${seconds} s.`,
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
          },
        ],
      });
  };
  return Object.assign(middleware, { admit });
}
