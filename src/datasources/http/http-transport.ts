import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { observeVendorCall } from './call-observation';
import { localRateLimit, type RateLimit } from './rate-limit';
import { parseRetryAfter } from './retry-after';
import {
  TransportError,
  type HttpRequest,
  type HttpResponse,
  type ResponseVerdict,
  type RetryPolicy,
  type TransportOptions,
} from './transport';

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const REQUEST_ID_HEADERS = ['x-request-id', 'x-ms-request-id', 'apim-request-id', 'x-acs-request-id'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// Idle keep-alive sockets are dropped before most servers drop them, so a write rarely meets a closed socket.
const IDLE_SOCKET_MS = 4_000;

type NetworkFailure = 'NOT_SENT' | 'AMBIGUOUS';
type Outcome = { response: HttpResponse } | { failure: NetworkFailure; reason: string; cause: unknown };
type Delivery = 'NOT_SENT' | 'REFUSED' | 'MAYBE_ACTED';

/** One per provider: timeouts, retries with backoff honouring Retry-After, a FIFO rate limit, logs without secrets. */
export class HttpTransport {
  private readonly agents: Record<'http:' | 'https:', http.Agent>;
  private readonly rateLimit: RateLimit | null;
  private readonly closing = new AbortController();

  constructor(
    private readonly options: TransportOptions,
    private readonly logger: Logger,
  ) {
    const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
    const makeRateLimit = options.rateLimits ?? localRateLimit;
    this.rateLimit = options.ratePerSecond ? makeRateLimit(options.providerId, options.ratePerSecond) : null;
  }

  /**
   * Sends until a final response (any status) or a network failure that may not be retried. Retries that run out
   * on retryable statuses return the last response; TransportError is thrown for NOT_SENT, AMBIGUOUS and EXHAUSTED.
   * Errors thrown by `req.sign` pass through unchanged.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    return observeVendorCall(this.options.providerId, this.options.observer, req, () => this.deliver(req));
  }

  private async deliver(req: HttpRequest): Promise<HttpResponse> {
    const url = parseUrl(req);
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : (req.body ?? Buffer.alloc(0));
    await this.firstTurn(req);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(req, url, body, attempt);
      const delay = this.retryDelay(req, outcome, attempt, started);
      if (delay === null) return this.finish(req, url, outcome, attempt);
      this.logger.warn(
        { ...this.context(req, url), attempt, ...outcomeFields(outcome), retryInMs: delay },
        'retrying vendor request',
      );
      if (!(await this.pause(delay))) return this.finish(req, url, outcome, attempt);
      const left = this.options.retry.maxTotalMs - (Date.now() - started);
      if (!(await this.nextTurn(left))) return this.finish(req, url, outcome, attempt);
    }
  }

  close(): void {
    this.closing.abort();
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private async attempt(req: HttpRequest, baseUrl: URL, body: Buffer, attempt: number): Promise<Outcome> {
    const headers = requestHeaders(req, body);
    const url = req.signQuery
      ? withQuery(baseUrl, req.signQuery({ method: req.method, url: new URL(baseUrl), headers: { ...headers }, body }))
      : baseUrl;
    const signed = req.sign
      ? await req.sign({ method: req.method, url: new URL(url), headers: { ...headers }, body })
      : {};
    const started = Date.now();
    const outcome = await exchange(url, req.method, { ...headers, ...signed }, body, {
      agent: this.agents[url.protocol as 'http:' | 'https:'],
      timeoutMs: this.options.timeoutMs,
      attempt,
    });
    this.logger.debug(
      { ...this.context(req, url), attempt, ...outcomeFields(outcome), ms: Date.now() - started },
      'vendor request attempt',
    );
    return outcome;
  }

  /** The wait before the next attempt, or null when this outcome is final. */
  private retryDelay(req: HttpRequest, outcome: Outcome, attempt: number, started: number): number | null {
    const retry = this.options.retry;
    let hint: number | null = null;
    if ('response' in outcome) {
      const verdict = this.classify(outcome.response);
      const refused = verdict.refused ?? outcome.response.status === 429;
      if (!verdict.retryable || !mayResend(req, refused ? 'REFUSED' : 'MAYBE_ACTED')) return null;
      hint = verdict.retryAfterMs ?? null;
    } else if (!mayResend(req, outcome.failure === 'NOT_SENT' ? 'NOT_SENT' : 'MAYBE_ACTED')) {
      return null;
    }
    if (attempt >= retry.maxAttempts || this.closing.signal.aborted) return null;
    const left = retry.maxTotalMs - (Date.now() - started);
    // A vendor wait beyond the budget ends here: the caller passes the vendor's hint on to its client.
    if (hint !== null) return hint <= left ? hint : null;
    return left > 0 ? Math.min(left, backoff(retry, attempt + 1)) : null;
  }

  private classify(response: HttpResponse): ResponseVerdict {
    if (this.options.classify) return this.options.classify(response);
    return {
      retryable: RETRYABLE_STATUSES.has(response.status),
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    };
  }

  private finish(req: HttpRequest, url: URL, outcome: Outcome, attempts: number): HttpResponse {
    if ('response' in outcome) return outcome.response;
    const { failure, reason } = outcome;
    this.logger.warn({ ...this.context(req, url), attempts, failure, reason }, 'vendor request failed');
    const what =
      failure === 'NOT_SENT' ? `was not sent: ${reason}` : `was sent, but ${reason}; the vendor may have acted on it`;
    const message = `${req.operation} to provider ${this.options.providerId} ${what} (${plural(attempts, 'attempt')})`;
    throw new TransportError(message, failure, attempts, undefined, { cause: outcome.cause });
  }

  /** The rate-limit wait before the first attempt, bounded by the whole retry budget. */
  private async firstTurn(req: HttpRequest): Promise<void> {
    const closed = () =>
      new TransportError(
        `${req.operation} to provider ${this.options.providerId} was not sent: the transport is closed`,
        'NOT_SENT',
        0,
      );
    if (this.closing.signal.aborted) throw closed();
    if (!this.rateLimit) return;
    const budget = this.options.retry.maxTotalMs;
    const { granted, waitMs: wait } = await this.rateLimit.takeTurn(budget);
    if (!granted) {
      this.logger.warn(
        { providerId: this.options.providerId, operation: req.operation, queueMs: wait },
        'rate limit queue full',
      );
      throw new TransportError(
        `The rate limit queue of provider ${this.options.providerId} is full: ` +
          `${req.operation} would wait ${wait} ms, more than its ${budget} ms budget`,
        'EXHAUSTED',
        0,
        wait,
      );
    }
    this.options.observer?.rateLimitWaited(this.options.providerId, wait / 1000);
    if (!(await this.pause(wait))) throw closed();
  }

  /** The rate-limit wait before a retry; false when it would not fit in what is left of the budget. */
  private async nextTurn(leftMs: number): Promise<boolean> {
    if (!this.rateLimit) return true;
    const { granted, waitMs } = await this.rateLimit.takeTurn(leftMs);
    if (!granted) return false;
    this.options.observer?.rateLimitWaited(this.options.providerId, waitMs / 1000);
    return this.pause(waitMs);
  }

  /** False when the transport was closed meanwhile. */
  private async pause(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.closing.signal.aborted;
    try {
      await sleep(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }

  private context(req: HttpRequest, url: URL) {
    return { providerId: this.options.providerId, operation: req.operation, method: req.method, host: url.host };
  }
}

// A request that is not idempotent goes again only when the vendor certainly did not act on it: it never left,
// or the vendor refused it (429). After a 5xx, a timeout or a broken connection the vendor may have created the object.
function mayResend(req: HttpRequest, delivery: Delivery): boolean {
  return req.idempotent || delivery === 'NOT_SENT' || delivery === 'REFUSED';
}

/** Full jitter: random in [0, min(max, base * 2^(n-2))] before attempt n. */
function backoff(retry: RetryPolicy, attempt: number): number {
  const cap = Math.min(retry.maxBackoffMs, retry.baseBackoffMs * 2 ** (attempt - 2));
  return Math.round(Math.random() * cap);
}

interface ExchangeOptions {
  agent: http.Agent;
  timeoutMs: number;
  attempt: number;
}

/** One request and its whole response under one timer; never rejects. */
function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
  options: ExchangeOptions,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let sent = false;
    let timedOut = false;
    const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent: options.agent });
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error(`no complete answer came within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const fail = (error: unknown, reason: string) => {
      clearTimeout(timer);
      const failure = sent ? 'AMBIGUOUS' : 'NOT_SENT';
      resolve({
        failure,
        reason: timedOut ? `no complete answer came within ${options.timeoutMs} ms` : reason,
        cause: error,
      });
    };
    request.on('socket', (socket) => {
      // Bytes may reach the vendor from the moment the connection is up (at once on a reused keep-alive socket).
      if (request.reusedSocket) sent = true;
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (sent = true));
    });
    request.on('error', (error) => fail(error, describeNetworkError(error)));
    request.on('response', (res) => {
      readBody(res).then(
        (bytes) => {
          clearTimeout(timer);
          resolve({ response: makeResponse(res.statusCode ?? 0, res.headers, bytes, options.attempt) });
        },
        (error) => fail(error, 'the response was cut short'),
      );
    });
    if (body.length > 0) request.end(body);
    else request.end();
  });
}

async function readBody(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  if (!res.complete) throw new Error('the response was cut short');
  return Buffer.concat(chunks);
}

function makeResponse(status: number, raw: http.IncomingHttpHeaders, body: Buffer, attempts: number): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status, headers, body, attempts, json: <T>() => parseJson<T>(body) };
}

function parseJson<T>(body: Buffer): T | undefined {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function requestHeaders(req: HttpRequest, body: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (name.toLowerCase() !== 'content-length') headers[name] = value;
  }
  if (req.body !== undefined || BODY_METHODS.has(req.method)) headers['content-length'] = String(body.length);
  return headers;
}

function parseUrl(req: HttpRequest): URL {
  let url: URL | null;
  try {
    url = new URL(req.url);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // The URL itself stays out of the message: its path and query may carry ids or tokens.
    throw new TransportError(`${req.operation}: the request URL is not an absolute http(s) URL`, 'NOT_SENT', 0);
  }
  return url;
}

function describeNetworkError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name did not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return code ? `network error ${code}` : 'network error';
  }
}

function outcomeFields(outcome: Outcome): Record<string, unknown> {
  if ('failure' in outcome) return { failure: outcome.failure, reason: outcome.reason };
  const id = REQUEST_ID_HEADERS.map((name) => outcome.response.headers[name]).find(Boolean);
  return { status: outcome.response.status, ...(id ? { vendorRequestId: id } : {}) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The URL with exactly these query parameters, spaces as %20 (signatures are computed that way). */
function withQuery(url: URL, params: Record<string, string>): URL {
  const next = new URL(url);
  next.search = new URLSearchParams(params).toString().replace(/\+/g, '%20');
  return next;
}
