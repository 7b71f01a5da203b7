import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Access } from '../domain/access';
import { accessPartition, setCaller } from './auth/http-auth';
import type { Authenticator } from './auth/authenticator';
import { cacheKey, keyedOperation } from './cache-hits';
import { GRAPHQL_PATH } from './http-errors';
import { CACHE_HEADER, type CachedAnswer, type CachedHttpAnswer, type ResponseCache } from './response-cache';
import { rateLimitDecided, type CallerRateLimit } from './surface';

// The response cache's hits answered in the HTTP listener, ahead of Express (issue 13: a hit costs what HTTP
// costs). Express's routing, its request and response wrappers and body-parser's stream machinery cost several
// times what a hit itself does, so a POST /graphql with a small JSON body is taken here through the same steps as
// on the route, in the same order: the Host check, the caller's credential, the per-caller rate limit, the body
// (read and parsed as express.json does), then the key and the ledger version (cache-hits.ts), and a hit is
// written with its stored bytes and the CORS headers. Anything else, and every step that does not end in a hit,
// goes to the Express app, which finds what was decided here on the request (the caller, the rate limit's count,
// the body or its parse error) and carries on from there: a refusal or a miss is answered exactly as before.

/** Bodies up to this size are read here; larger ones (images in variables) are never hits anyway. */
const MAX_BODY_BYTES = 64 * 1024;
/** What express.json parses without iconv: JSON in UTF-8 (the default charset). */
const JSON_UTF8 = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;
/** Both go through Apollo's path, which keeps a fresh answer (no-cache) or none (no-store). */
const NO_CACHE_OR_STORE = /\bno-(?:store|cache)\b/i;
/** body-parser's strict mode: the first character that is not JSON whitespace must open an object or array. */
const FIRST_CHAR = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/;

const BODY_READ = Symbol('facegraph body read before Express');
type WithBodyRead = IncomingMessage & { body?: unknown; [BODY_READ]?: { error: Error | null } };

export interface HitsFirstParts {
  /** The Express app: everything this path does not answer. */
  app: RequestListener;
  allowsHost(header: string | undefined): boolean;
  cors: RequestHandler;
  authenticator: Authenticator;
  rateLimit: CallerRateLimit;
  ledgerVersionOf(req: IncomingMessage): Promise<string>;
  cache: ResponseCache;
  /** express.json's limit: a body over it is left to express.json's 413. */
  bodyLimit: number;
  /** Told of every answer served from here (log line, metrics), with the time it took. */
  served(answer: CachedAnswer, seconds: number): void;
}

/** The server's `request` listener: cache hits answered here, the rest handed to `parts.app`. */
export function answerCacheHitsFirst(parts: HitsFirstParts): RequestListener {
  const { app } = parts;
  const readLimit = Math.min(MAX_BODY_BYTES, parts.bodyLimit);
  const partitions = new WeakMap<Access, string>();
  const headersOf = new WeakMap<CachedHttpAnswer, OutgoingHttpHeaders>();
  const hit = new HitPath(parts, partitions, headersOf);
  return (req, res) => {
    const length = candidateLength(req, readLimit);
    if (length < 0) {
      app(req, res);
      return;
    }
    hit.answer(req, res, length).then(
      (answered) => {
        if (!answered) app(req, res);
      },
      // Every step above catches what it expects; should anything else fail, Express takes the request as it is.
      () => {
        if (!res.headersSent) app(req, res);
      },
    );
  };
}

/**
 * Express's JSON parser, unless the body was read before Express: then the request carries the parsed body (or the
 * parse error, which goes to the error handler exactly as express.json's would).
 */
export function unlessBodyReadFirst(jsonParser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const read = (req as WithBodyRead)[BODY_READ];
    if (!read) return jsonParser(req, res, next);
    if (read.error) return next(read.error);
    next();
  };
}

/** The body's length when the request may be a hit, else -1 (Express takes it untouched). */
function candidateLength(req: IncomingMessage, limit: number): number {
  if (req.method !== 'POST' || req.url !== GRAPHQL_PATH) return -1;
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || !JSON_UTF8.test(type)) return -1;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return -1;
  if (headers['apollo-federation-include-trace'] !== undefined) return -1;
  const directives = headers['cache-control'];
  if (directives !== undefined && NO_CACHE_OR_STORE.test(directives)) return -1;
  const length = Number(headers['content-length']);
  return Number.isInteger(length) && length >= 2 && length <= limit ? length : -1;
}

class HitPath {
  constructor(
    private readonly parts: HitsFirstParts,
    private readonly partitions: WeakMap<Access, string>,
    private readonly headersOf: WeakMap<CachedHttpAnswer, OutgoingHttpHeaders>,
  ) {}

  /** Answers `req` from the cache if it is a hit; false when Express must take it (body and decisions kept). */
  async answer(req: IncomingMessage, res: ServerResponse, length: number): Promise<boolean> {
    const started = performance.now();
    const { parts } = this;
    if (!parts.allowsHost(req.headers.host)) return false;
    let access: Access;
    try {
      access = await parts.authenticator.authenticate({
        authorization: req.headers.authorization ?? null,
        routerSecret: headerValue(req.headers['x-router-secret']),
        ledgerVersion: () => parts.ledgerVersionOf(req),
      });
    } catch {
      // Express authenticates again and answers the refusal (or the failure) as it always has.
      return false;
    }
    const caller = setCaller(req, parts.authenticator, access);
    let wait: number | null;
    try {
      wait = await parts.rateLimit.admit(caller);
    } catch {
      return false;
    }
    rateLimitDecided(req, wait);
    // Refused: Express answers the 429 (CORS headers, log line, metrics) without counting the request again.
    if (wait !== null) return false;
    const body = await readJsonBody(req as WithBodyRead, length);
    if (body === undefined) return false;
    const operation = keyedOperation(req.method, req.headers, body);
    if (operation === null) return false;
    let version: string;
    try {
      version = await parts.ledgerVersionOf(req);
    } catch {
      return false;
    }
    const found = parts.cache.lookup(cacheKey(this.partitionOf(access), req.headers.accept, operation), version);
    const http = found?.http;
    if (!found || !http) return false;
    await new Promise<void>((resolve) => {
      parts.cors(req as Request, res as Response, () => resolve());
    });
    res.writeHead(200, this.headersFor(http));
    res.end(http.body);
    parts.served(found, (performance.now() - started) / 1000);
    return true;
  }

  private partitionOf(access: Access): string {
    let partition = this.partitions.get(access);
    if (partition === undefined) {
      partition = accessPartition(access);
      this.partitions.set(access, partition);
    }
    return partition;
  }

  /** The headers a hit is sent with, made once per stored answer. */
  private headersFor(http: CachedHttpAnswer): OutgoingHttpHeaders {
    let headers = this.headersOf.get(http);
    if (!headers) {
      headers = { 'content-type': http.contentType, [CACHE_HEADER]: 'hit', 'content-length': http.body.length };
      if (http.etag) headers.etag = http.etag;
      this.headersOf.set(http, headers);
    }
    return headers;
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The body parsed as express.json parses it (UTF-8 without its BOM, strict: an object or array), kept on the
 * request; undefined when it is not JSON or did not arrive whole (the error is kept for Express to answer).
 */
function readJsonBody(req: WithBodyRead, length: number): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (status: number, type: string, message: string) => {
      if (settled) return;
      settled = true;
      req[BODY_READ] = { error: Object.assign(new Error(message), { status, statusCode: status, expose: true, type }) };
      resolve(undefined);
    };
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.on('error', () => fail(400, 'request.aborted', 'request aborted'));
    req.on('close', () => fail(400, 'request.aborted', 'request aborted'));
    req.on('end', () => {
      if (settled) return;
      if (received !== length) return fail(400, 'request.size.invalid', 'request size did not match content length');
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      let text = bytes.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const first = FIRST_CHAR.exec(text)?.[1];
      let body: unknown;
      try {
        if (first !== '{' && first !== '[') throw new SyntaxError('strict violation');
        body = JSON.parse(text);
      } catch {
        return fail(400, 'entity.parse.failed', 'the body is not JSON');
      }
      settled = true;
      req.body = body;
      req[BODY_READ] = { error: null };
      resolve(body);
    });
  });
}
