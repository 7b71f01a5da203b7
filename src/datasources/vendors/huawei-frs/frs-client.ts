import type { Logger } from 'pino';
import type { TransportObserver } from '../../http/transport';
import { HttpTransport } from '../../http/http-transport';
import type { RateLimitFactory } from '../../http/rate-limit';
import { parseRetryAfter } from '../../http/retry-after';
import type { HttpMethod, HttpResponse } from '../../http/transport';
import { successBody, transportFailure } from '../../http/vendor-failure';
import { frsError, type FrsErrorBody, type FrsErrorContext } from './frs-errors';
import { IamTokenSource, tokenHeaders, transportPost } from './iam-token';
import { signRequest } from './signer';

export type FrsCredentials =
  | { accessKeyId: string; secretAccessKey: string }
  | { token: string }
  | { username: string; password: string; domainName: string };

export interface FrsClientOptions {
  providerId: string;
  region: string;
  projectId: string;
  endpoint?: string;
  iamEndpoint?: string;
  credentials: FrsCredentials;
  /** FRS flow control is per account; the default is conservative (the notes give no published QPS). */
  rateLimitPerSecond?: number;
  timeoutMs?: number;
  /** Metrics of the provider's calls (injected by the server). */
  transportObserver?: TransportObserver;
  /** Where the rate limit is kept (shared by replicas with Redis); default: in this process. */
  rateLimits?: RateLimitFactory;
}

export interface FrsCall {
  method: HttpMethod;
  /** Path below /v2/{project_id}, e.g. `/face-sets/staff/faces`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
  operation: string;
  context?: FrsErrorContext;
  /** FRS error codes that mean "already the asked-for state" here: the call returns null instead of failing. */
  tolerate?: string[];
}

const DEFAULT_RATE_PER_SECOND = 10;
const RETRY = { maxAttempts: 3, maxTotalMs: 30_000, baseBackoffMs: 200, maxBackoffMs: 2_000 };

/** FRS over the shared transport: URL building, authentication, and errors mapped through frs-errors. */
export class FrsClient {
  private readonly transport: HttpTransport;
  private readonly base: string;
  private readonly iam: IamTokenSource | null;
  private readonly iamTransport: HttpTransport | null;

  constructor(
    private readonly options: FrsClientOptions,
    logger: Logger,
  ) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.base = (options.endpoint ?? `https://face.${options.region}.myhuaweicloud.com`).replace(/\/+$/, '');
    this.transport = new HttpTransport(
      {
        providerId: options.providerId,
        observer: options.transportObserver,
        timeoutMs,
        retry: RETRY,
        ratePerSecond: options.rateLimitPerSecond ?? DEFAULT_RATE_PER_SECOND,
        rateLimits: options.rateLimits,
      },
      logger,
    );
    const creds = options.credentials;
    // IAM is another service: its token requests get the transport's retries and logs, not FRS's rate limit.
    const iamTransportOptions = {
      providerId: options.providerId,
      timeoutMs,
      retry: RETRY,
      ratePerSecond: null,
      observer: options.transportObserver,
    };
    this.iamTransport = 'username' in creds ? new HttpTransport(iamTransportOptions, logger) : null;
    const post = this.iamTransport ? transportPost(this.iamTransport) : undefined;
    this.iam = 'accessKeyId' in creds ? null : new IamTokenSource({ ...iamOptions(options, creds), post });
  }

  async call<T>(call: FrsCall): Promise<T | null> {
    const url = new URL(`${this.base}/v2/${encodeURIComponent(this.options.projectId)}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    let response: HttpResponse;
    try {
      response = await this.transport.send({
        method: call.method,
        url: url.toString(),
        headers: { 'content-type': 'application/json' },
        body,
        idempotent: call.idempotent,
        operation: `frs.${call.operation}`,
        sign: (req) => this.authHeaders(req),
      });
    } catch (e) {
      throw transportFailure(e, this.options.providerId, 'Huawei FRS');
    }
    if (response.status === 401 && this.iam) this.iam.invalidate();
    if (response.status >= 200 && response.status < 300) {
      return successBody<T>(
        response,
        call.idempotent,
        this.options.providerId,
        'Huawei FRS',
        response.headers['x-request-id'] ?? null,
      );
    }
    const error = response.json<FrsErrorBody>();
    if (error?.error_code && call.tolerate?.includes(error.error_code)) return null;
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    throw frsError(response.status, error, response.headers['x-request-id'] ?? null, this.options.providerId, {
      ...call.context,
      retryAfterSeconds: retryAfterMs === null ? null : retryAfterMs / 1000,
    });
  }

  close(): void {
    this.transport.close();
    this.iamTransport?.close();
  }

  private async authHeaders(req: Parameters<typeof signRequest>[0]): Promise<Record<string, string>> {
    const creds = this.options.credentials;
    if ('accessKeyId' in creds) return signRequest(req, creds, { projectId: this.options.projectId });
    return { ...tokenHeaders(await this.iam!.getToken()), 'X-Project-Id': this.options.projectId };
  }
}

function iamOptions(options: FrsClientOptions, creds: Exclude<FrsCredentials, { accessKeyId: string }>) {
  return {
    providerId: options.providerId,
    region: options.region,
    projectId: options.projectId,
    iamEndpoint: options.iamEndpoint,
    credentials: creds,
  };
}
