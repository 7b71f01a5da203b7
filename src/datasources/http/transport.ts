// The one outbound HTTP transport every vendor adapter uses. Adapters build and sign requests and map
// responses; this module owns timeouts, retries with backoff, rate limits and safe logging.

import type { RateLimitFactory } from './rate-limit';

// What the transport tells the server about vendor calls, for metrics: the server injects an observer.
export interface TransportObserver {
  /**
   * One call (all its attempts) ended: `status` is the final HTTP status code, or NOT_SENT, AMBIGUOUS or EXHAUSTED.
   * `operation` is the adapter's name for the call (e.g. 'frs.addFace'), never the URL.
   */
  vendorCallEnded(providerId: string, operation: string, status: string, seconds: number): void;
  /** A request waited this long for the provider's rate limit before an attempt. */
  rateLimitWaited(providerId: string, seconds: number): void;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL (the provider's endpoint + path + query). */
  url: string;
  headers?: Record<string, string>;
  /** Serialized body, exactly the bytes to send (and to sign). */
  body?: Buffer | string;
  /**
   * True when sending it twice cannot create a second object at the vendor (GET, PUT, DELETE by id...).
   * A request that is not idempotent is only re-sent when it certainly did not reach the vendor
   * (connection refused, 429 before processing); otherwise the failure is reported as ambiguous.
   */
  idempotent: boolean;
  /** For logs and metrics, e.g. 'frs.addFace'. Never the URL: it may carry ids the logs should not. */
  operation: string;
  /** Adds authentication headers right before each attempt (signatures carry the time of sending). */
  sign?: (request: SignableRequest) => Promise<Record<string, string>> | Record<string, string>;
  /**
   * For signatures carried in the query (Alibaba's V1): returns the complete query parameters of this
   * attempt, signature included, which replace the URL's query. Called right before each attempt.
   */
  signQuery?: (request: SignableRequest) => Record<string, string>;
}

export interface SignableRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json<T = unknown>(): T | undefined;
  /** How many attempts it took. */
  attempts: number;
}

export type TransportFailure =
  /** The request never left (DNS, connection refused, closed transport): safe to retry anything. */
  | 'NOT_SENT'
  /** Sent, and no complete answer came in time, or the connection broke mid-way: the vendor may have acted. */
  | 'AMBIGUOUS'
  /**
   * Nothing was sent: the provider's rate-limit queue is longer than the request's time budget.
   * Retries that run out on retryable responses (429, 5xx) do not throw: `send` returns the last response,
   * so the adapter maps the vendor's own error and wait hint; `HttpResponse.attempts` tells how many were made.
   */
  | 'EXHAUSTED';

export class TransportError extends Error {
  constructor(
    message: string,
    readonly failure: TransportFailure,
    readonly attempts: number,
    /** For EXHAUSTED: about how long until the rate-limit queue would have let the request through. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No new attempt starts after this many ms since the first one. */
  maxTotalMs: number;
  /** Backoff before attempt n (n >= 2): random in [0, min(maxBackoffMs, baseBackoffMs * 2^(n-2))] ("full jitter"). */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface TransportOptions {
  providerId: string;
  /** Per attempt: connect + headers + body. */
  timeoutMs: number;
  retry: RetryPolicy;
  /**
   * Requests per second for this provider (the vendor's published QPS); null for no limit. Every attempt takes a
   * token (burst: max(1, rate)), first come first served; a request whose wait would exceed `retry.maxTotalMs`
   * fails at once with EXHAUSTED.
   */
  ratePerSecond: number | null;
  /** Where that limit is kept; default: in this process. With Redis, every replica takes turns from one limit. */
  rateLimits?: RateLimitFactory;
  /**
   * The vendor's view of a response: whether it is worth retrying, after how long, and whether the vendor
   * refused it without acting (then even a request that is not idempotent may go again). Defaults: 429, 500,
   * 502, 503 and 504 are retryable, the wait comes from Retry-After (seconds or HTTP date), only 429 is refused.
   */
  classify?: (response: HttpResponse) => ResponseVerdict;
  /** Told of every call and rate-limit wait (metrics); none by default. */
  observer?: TransportObserver;
}

export interface ResponseVerdict {
  retryable: boolean;
  /** The vendor's wait hint; null or absent for the transport's own backoff. */
  retryAfterMs?: number | null;
  /** The vendor turned the request away before acting on it (throttling). Defaults to `status === 429`. */
  refused?: boolean;
}
