import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TransportObserver } from '../../http/transport';
import { HttpTransport } from '../../http/http-transport';
import type { RateLimitFactory } from '../../http/rate-limit';
import type { HttpResponse, SignableRequest } from '../../http/transport';
import { successBody, transportFailure } from '../../http/vendor-failure';
import { mtsError, type MtsErrorBody } from './mts-errors';
import { signV1, signV3 } from './signer';

export interface MtsClientOptions {
  providerId: string;
  region: string;
  endpoint?: string;
  credentials: { accessKeyId: string; accessKeySecret: string };
  signatureVersion?: 'V3' | 'V1';
  /** MTS allows 100 requests per second per account for each face action (notes §4). */
  rateLimitPerSecond?: number;
  timeoutMs?: number;
  /** Metrics of the provider's calls (injected by the server). */
  transportObserver?: TransportObserver;
  /** Where the rate limit is kept (shared by replicas with Redis); default: in this process. */
  rateLimits?: RateLimitFactory;
}

const VERSION = '2014-06-18';
const DEFAULT_RATE_PER_SECOND = 100;

/** MTS RPC calls (POST /, every parameter in the query, as the official SDK sends them) over the shared transport. */
export class MtsClient {
  private readonly transport: HttpTransport;
  private readonly base: string;

  constructor(
    private readonly options: MtsClientOptions,
    logger: Logger,
  ) {
    this.base = (options.endpoint ?? `https://mts.${options.region}.aliyuncs.com`).replace(/\/+$/, '');
    this.transport = new HttpTransport(
      {
        providerId: options.providerId,
        observer: options.transportObserver,
        timeoutMs: options.timeoutMs ?? 15_000,
        retry: { maxAttempts: 3, maxTotalMs: 30_000, baseBackoffMs: 200, maxBackoffMs: 2_000 },
        ratePerSecond: options.rateLimitPerSecond ?? DEFAULT_RATE_PER_SECOND,
        rateLimits: options.rateLimits,
        classify,
      },
      logger,
    );
  }

  async call<T>(action: string, params: Record<string, string>, idempotent: boolean): Promise<T> {
    const v1 = this.options.signatureVersion === 'V1';
    const url = new URL(`${this.base}/`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let response: HttpResponse;
    try {
      response = await this.transport.send({
        method: 'POST',
        url: url.toString().replace(/\+/g, '%20'),
        idempotent,
        operation: `mts.${action}`,
        // A fresh nonce and time per attempt: MTS refuses a nonce it has seen.
        ...(v1
          ? {
              signQuery: () =>
                signV1({ Action: action, Version: VERSION, Format: 'JSON', ...params }, this.options.credentials, {
                  method: 'POST',
                  nonce: randomUUID(),
                }),
            }
          : {
              sign: (req: SignableRequest) =>
                signV3(req, this.options.credentials, { action, version: VERSION, nonce: randomUUID() }),
            }),
      });
    } catch (e) {
      throw transportFailure(e, this.options.providerId, 'Alibaba MTS');
    }
    const body = response.json<MtsErrorBody & T>();
    if (response.status >= 200 && response.status < 300) {
      return successBody<T>(response, idempotent, this.options.providerId, 'Alibaba MTS', body?.RequestId ?? null);
    }
    throw mtsError(response.status, body, this.options.providerId, retryAfterSeconds(response));
  }

  close(): void {
    this.transport.close();
  }
}

function retryAfterSeconds(response: HttpResponse): number | null {
  const raw = response.headers['x-acs-retry-after'];
  if (!raw || !/^\d+$/.test(raw)) return null;
  // The SDK reads x-acs-retry-after as milliseconds (UNVERIFIED unit; the notes quote the SDK only).
  return Math.max(1, Math.ceil(Number(raw) / 1000));
}

/** MTS throttles with a 400 whose Code starts with Throttling: refused, so even a write may go again. */
function classify(response: HttpResponse) {
  const code = response.json<MtsErrorBody>()?.Code ?? '';
  if (code.startsWith('Throttling')) {
    const wait = retryAfterSeconds(response);
    return { retryable: true, refused: true, retryAfterMs: wait === null ? null : wait * 1000 };
  }
  return { retryable: response.status >= 500 && response.status !== 501 };
}
