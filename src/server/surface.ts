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
          message:
            'This server does not answer to that Host name: add it to server.allowedHosts (or set server.publicUrl).',
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
  admit(caller: CountedCaller): Promise<number | null>;
  perMinute: number;
};

/**
 * Records that `req` was counted already (null: let in; a number: refused, wait that many seconds), so the
 * handler answers as counted instead of counting the request twice.
 */
export function rateLimitDecided(req: IncomingMessage, seconds: number | null): void {
  (req as WithRateDecision)[RATE_DECISION] = seconds;
}

/** Who a count is kept for: the credential's actor, or the client address of an anonymous caller. */
export type CountedCaller = { access: { actor: string }; address: string | null };

/**
 * Counts requests a minute per caller: at most `perMinute` per credential (per client address for anonymous
 * callers). Counted in Redis when given, so the minute's requests are counted across replicas; in memory otherwise,
 * and while Redis is unreachable (one replica's count). `name` keeps separate limits apart in Redis.
 */
export function callerCounter(
  perMinute: number,
  redis: RedisConnection | null,
  name: string,
): (caller: CountedCaller) => Promise<number | null> {
  const ownLimiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  const sharedLimiter = redis
    ? new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: redis.key(name),
        points: perMinute,
        duration: 60,
        insuranceLimiter: ownLimiter,
        rejectIfRedisNotReady: true,
      })
    : null;
  return async ({ access, address }) => {
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
}

/** The refusal of a request over a per-caller limit: what is wrong, which setting, and when to retry. */
export function rateLimitedBody(
  what: string,
  perMinute: number,
  setting: string,
  caller: CountedCaller,
  seconds: number,
) {
  const whose = caller.access.actor === 'anonymous' ? 'this client address' : 'this credential';
  return {
    errors: [
      {
        message: `Too many ${what}: at most ${perMinute} a minute for ${whose} (${setting}); retry in ${seconds} s.`,
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
      },
    ],
  };
}

/**
 * At most `perMinute` requests a minute per credential (per client address for anonymous callers): over it,
 * 429 with Retry-After and a RATE_LIMITED error carrying the wait (see callerCounter for where it is counted).
 */
export function rateLimitPerCaller(
  perMinute: number,
  logger: Logger,
  redis: RedisConnection | null = null,
  /** Told of every refusal (metrics). */
  onRefused: () => void = () => {},
): CallerRateLimit {
  const admit = callerCounter(perMinute, redis, 'caller-rate');
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
      .json(rateLimitedBody('requests', perMinute, 'limits.requestsPerMinute', caller, seconds));
  };
  return Object.assign(middleware, { admit, perMinute });
}

/** A per-caller limit where no credential is required: the caller is found at the door (callerAtTheDoor). */
export interface DoorRateLimit {
  /** 429 with Retry-After and RATE_LIMITED over the limit; otherwise the request goes on. */
  handler: RequestHandler;
  /** Counts one request: null when it is let in, else the seconds to wait. */
  admit(req: IncomingMessage): Promise<{ caller: CountedCaller; seconds: number | null }>;
}

export function rateLimitAtTheDoor(options: {
  perMinute: number;
  /** The config key, named in the refusal. */
  setting: string;
  /** What is counted, plural ("image requests"). */
  what: string;
  /** Keeps this count apart from others in Redis. */
  name: string;
  redis: RedisConnection | null;
  logger: Logger;
  callerOf(req: IncomingMessage): Promise<CountedCaller>;
  onRefused?: () => void;
}): DoorRateLimit {
  const count = callerCounter(options.perMinute, options.redis, options.name);
  const admit = async (req: IncomingMessage) => {
    const caller = await options.callerOf(req);
    return { caller, seconds: await count(caller) };
  };
  const handler: RequestHandler = async (req, res, next) => {
    let decision;
    try {
      decision = await admit(req);
    } catch (e) {
      return next(e);
    }
    const { caller, seconds } = decision;
    if (seconds === null) return next();
    options.onRefused?.();
    options.logger.info(
      { actor: caller.access.actor, path: req.route?.path, retryAfterSeconds: seconds },
      'request refused: rate limit',
    );
    res
      .status(429)
      .set({ 'retry-after': String(seconds), 'cache-control': 'no-store' })
      .json(rateLimitedBody(options.what, options.perMinute, options.setting, caller, seconds));
  };
  return { handler, admit };
}

/** A refused WebSocket upgrade: the wait, and the JSON body of the 429 written before the handshake. */
export interface UpgradeRefusal {
  retryAfterSeconds: number;
  body: ReturnType<typeof rateLimitedBody>;
}

/**
 * A WebSocket upgrade counts as one request of its caller on the GraphQL route's limit (limits.requestsPerMinute,
 * the same count as the caller's HTTP requests): a client that reconnects in a loop is slowed as one that polls.
 */
export function upgradeRateLimit(
  limit: CallerRateLimit,
  callerOf: (req: IncomingMessage) => Promise<CountedCaller>,
  onRefused: () => void = () => {},
): (req: IncomingMessage) => Promise<UpgradeRefusal | null> {
  return async (req) => {
    const caller = await callerOf(req);
    const seconds = await limit.admit(caller);
    if (seconds === null) return null;
    onRefused();
    return {
      retryAfterSeconds: seconds,
      body: rateLimitedBody('requests', limit.perMinute, 'limits.requestsPerMinute', caller, seconds),
    };
  };
}
