import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  CACHE_HEADER,
  UNCACHEABLE_FIELDS,
  variablesKey,
  type CachedAnswer,
  type PreparedRead,
  type ResponseCache,
} from './response-cache';

// The response cache's hit path, before the GraphQL pipeline: a repeated read is answered with the bytes Apollo
// sent the first time, without parsing, validating or executing it again (issue 13: a hit costs what HTTP costs).
//
// It runs after everything else on the route (Host check, CORS, authentication, the per-caller rate limit, the
// body parser), so a hit is let in exactly as a miss is. The key is the request itself: the caller's access
// partition, the Accept header (it decides the content type), and the operation's text, name and variables as
// sent. An entry gets there only through the plugin (response-cache.ts), which keeps only whole, error-free
// answers to operations that read nothing but the ledger, and it is served only while the ledger's change
// version is the one it was computed at. Requests this path does not key (GET, persisted queries or other
// extensions, traced federation requests, no-store) go through Apollo, where the plugin handles them as before.
// Most hits never get here: cache-hits-first.ts answers them in the HTTP listener, ahead of Express, with this
// file's key; this middleware keeps the entries' bytes on misses and answers the hits that path leaves to Express
// (bodies without a Content-Length or over 64 KiB, tracing on).

const PREPARED = Symbol('facegraph prepared read');
/**
 * Operations this path leaves to Apollo without reading the ledger version: writes, and the fields the cache never
 * keeps (response-cache.ts). A word match on the text is enough to be safe: a read that merely mentions one of these
 * words (say, in an alias) goes through Apollo as it always did.
 */
const NEVER_CACHED = new RegExp(`\\b(?:mutation|subscription|${[...UNCACHEABLE_FIELDS].join('|')})\\b`);

type WithPrepared = Request & { [PREPARED]?: PreparedRead };

export interface CacheHitHooks {
  /** What the caller may see: answers are never shared across different partitions. */
  partitionOf(req: Request): string;
  /** Told of every answer served from here (log line, metrics), with the time it took. */
  served(answer: CachedAnswer, seconds: number): void;
}

export function answerCachedReads(
  /** The ledger's change version for this request (request-ledger-version.ts). */
  ledgerVersionOf: (req: Request) => Promise<string>,
  cache: ResponseCache,
  hooks: CacheHitHooks,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const operation = keyedOperation(req.method, req.headers, req.body);
    if (operation === null) return next();
    const directives = req.headers['cache-control'] ?? '';
    if (/\bno-store\b/i.test(directives)) return next();
    let version: string;
    try {
      version = await ledgerVersionOf(req);
    } catch {
      // Apollo's path reads the version again and reports the failure as it always has.
      return next();
    }
    const key = cacheKey(hooks.partitionOf(req), req.headers.accept, operation);
    const noCache = /\bno-cache\b/i.test(directives);
    if (noCache) {
      cache.observe(version);
    } else {
      const hit = cache.lookup(key, version);
      if (hit?.http) {
        res.statusCode = 200;
        res.setHeader('content-type', hit.http.contentType);
        if (hit.http.etag) res.setHeader('etag', hit.http.etag);
        res.setHeader(CACHE_HEADER, 'hit');
        res.setHeader('content-length', hit.http.body.length);
        res.end(hit.http.body);
        hooks.served(hit, (performance.now() - started) / 1000);
        return;
      }
    }
    (req as WithPrepared)[PREPARED] = { key, version, noCache };
    keepSentAnswer(res, cache, key, version);
    next();
  };
}

/**
 * Hands the read answerCachedReads keyed (and missed) for `req` to the plugin, on the request's GraphQL context: a
 * property, not a WeakMap entry, since Apollo gives its plugins a shallow copy of the context.
 */
export function withPreparedRead<TContext extends object>(context: TContext, req: Request): TContext {
  const prepared = (req as WithPrepared)[PREPARED];
  if (prepared) Object.defineProperty(context, PREPARED, { value: prepared, enumerable: true });
  return context;
}

/**
 * The ledger version answerCachedReads read for `req` before anything else of it read the ledger, or null. Only
 * reads are keyed (no mutation: the operation's text does not hold the word), so a request given this version
 * writes nothing that its later reads would have to see.
 */
export function preparedLedgerVersion(req: Request): string | null {
  return (req as WithPrepared)[PREPARED]?.version ?? null;
}

/** The read withPreparedRead put on a GraphQL context, if any. */
export function preparedReadOf(context: object): PreparedRead | undefined {
  return (context as { [PREPARED]?: PreparedRead })[PREPARED];
}

/**
 * The operation as part of a key (text, name and variables as sent, in a fixed order), or null when this path
 * leaves the request to Apollo.
 */
export function keyedOperation(method: string | undefined, headers: IncomingHttpHeaders, body: unknown): string | null {
  if (method !== 'POST' || headers['apollo-federation-include-trace']) return null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const { query, operationName, variables, extensions, ...rest } = body as Record<string, unknown>;
  if (typeof query !== 'string' || extensions !== undefined || Object.keys(rest).length > 0) return null;
  if (NEVER_CACHED.test(query)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    return null;
  const variablesJson = variablesKey((variables ?? {}) as Record<string, unknown>);
  if (variablesJson === null) return null;
  return `${operationName ?? ''}\u0000${variablesJson}\u0000${query}`;
}

/** An answer's key: the caller's access partition, the Accept header and the operation (keyedOperation). */
export function cacheKey(partition: string, accept: string | undefined, operation: string): string {
  return `http\u0000${partition}\u0000${accept ?? ''}\u0000${operation}`;
}

/** Once Apollo sends its answer, keeps its bytes with the entry the plugin stored for this request (if it did). */
function keepSentAnswer(res: Response, cache: ResponseCache, key: string, version: string): void {
  const send = res.send;
  res.send = function sendAndKeep(this: Response, body?: unknown) {
    res.send = send;
    const sent = send.call(this, body);
    const outcome = res.getHeader(CACHE_HEADER);
    if (typeof body === 'string' && res.statusCode === 200 && (outcome === 'miss' || outcome === 'bypass')) {
      const etag = res.getHeader('etag');
      cache.attachHttp(key, version, {
        body: Buffer.from(body),
        contentType: String(res.getHeader('content-type')),
        etag: typeof etag === 'string' ? etag : null,
      });
    }
    return sent;
  };
}
