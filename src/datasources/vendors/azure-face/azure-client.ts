import type { Logger } from 'pino';
import type { TransportObserver } from '../../http/transport';
import { HttpTransport } from '../../http/http-transport';
import type { RateLimitFactory } from '../../http/rate-limit';
import { parseRetryAfter } from '../../http/retry-after';
import type { HttpMethod, HttpResponse } from '../../http/transport';
import { successBody, transportFailure } from '../../http/vendor-failure';
import {
  azureError,
  normaliseAzureError,
  retryHintSeconds,
  type AzureErrorBody,
  type AzureErrorContext,
} from './azure-errors';

export interface AzureClientOptions {
  providerId: string;
  endpoint: string;
  subscriptionKey: string;
  /** S0 allows 10 transactions per second per resource, F0 20 per minute (notes §9.3). */
  rateLimitPerSecond?: number;
  timeoutMs?: number;
  /** Metrics of the provider's calls (injected by the server). */
  transportObserver?: TransportObserver;
  /** Where the rate limit is kept (shared by replicas with Redis); default: in this process. */
  rateLimits?: RateLimitFactory;
}

export interface AzureCall {
  method: HttpMethod;
  /** Below /face/v1.0, e.g. `/persongroups/staff/persons`. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  bytes?: Buffer;
  idempotent: boolean;
  operation: string;
  context?: AzureErrorContext;
  /** Azure error codes that mean "already the asked-for state" here: the call returns null. */
  tolerate?: string[];
}

const S0_RATE_PER_SECOND = 10;

/** Azure AI Face over the shared transport: key header, the retry hint in 429 bodies, errors through azure-errors. */
export class AzureClient {
  private readonly transport: HttpTransport;
  private readonly base: string;

  constructor(
    private readonly options: AzureClientOptions,
    logger: Logger,
  ) {
    this.base = `${options.endpoint.replace(/\/+$/, '')}/face/v1.0`;
    this.transport = new HttpTransport(
      {
        providerId: options.providerId,
        observer: options.transportObserver,
        timeoutMs: options.timeoutMs ?? 15_000,
        retry: { maxAttempts: 3, maxTotalMs: 30_000, baseBackoffMs: 250, maxBackoffMs: 4_000 },
        ratePerSecond: options.rateLimitPerSecond ?? S0_RATE_PER_SECOND,
        rateLimits: options.rateLimits,
        classify: (response) => classify(response),
      },
      logger,
    );
  }

  async call<T>(call: AzureCall): Promise<T | null> {
    const url = new URL(`${this.base}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    let body: Buffer | string | undefined;
    if (call.bytes) {
      headers['content-type'] = 'application/octet-stream';
      body = call.bytes;
    } else if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    }
    let response: HttpResponse;
    try {
      response = await this.transport.send({
        method: call.method,
        url: url.toString(),
        headers,
        body,
        idempotent: call.idempotent,
        operation: `azure.${call.operation}`,
        sign: () => ({ 'Ocp-Apim-Subscription-Key': this.options.subscriptionKey }),
      });
    } catch (e) {
      throw transportFailure(e, this.options.providerId, 'Azure Face');
    }
    const requestId = response.headers['apim-request-id'] ?? response.headers['x-ms-request-id'] ?? null;
    if (response.status >= 200 && response.status < 300)
      return successBody<T>(response, call.idempotent, this.options.providerId, 'Azure Face', requestId);
    const errorBody = response.json<AzureErrorBody>();
    if (call.tolerate?.includes(normaliseAzureError(response.status, errorBody).code)) return null;
    throw azureError(
      'AZURE_FACE',
      response.status,
      errorBody,
      requestId,
      this.options.providerId,
      parseRetryAfter(response.headers['retry-after']),
      call.operation,
      call.context,
    );
  }

  close(): void {
    this.transport.close();
  }
}

/** 429 and 503 are worth a retry; Azure often puts the wait in the message instead of Retry-After. */
function classify(response: HttpResponse) {
  const retryable = response.status === 429 || response.status >= 500;
  if (!retryable) return { retryable };
  const fromHeader = parseRetryAfter(response.headers['retry-after']);
  const hint = retryHintSeconds(
    fromHeader,
    normaliseAzureError(response.status, response.json<AzureErrorBody>()).message,
  );
  return { retryable, retryAfterMs: hint === null ? null : hint * 1000 };
}
