// Huawei Cloud IAM token authentication for FRS: either a fixed token, or a project-scoped user token
// obtained with password authentication (POST {iam}/v3/auth/tokens; the token comes back in the
// X-Subject-Token response header, its expiry in the body's token.expires_at; tokens live 24 h).
// Requests then carry `X-Auth-Token: <token>`.

import { FaceGraphError } from '../../../domain/errors';
import type { HttpTransport } from '../../http/http-transport';

export interface IamHttpResponse {
  status: number;
  /** Any letter case; looked up case-insensitively. */
  headers: Record<string, string>;
  body: Buffer;
}

/** How the token source talks HTTP: `transportPost` (the shared transport), or a stand-in in tests. */
export type IamPost = (url: string, headers: Record<string, string>, body: Buffer) => Promise<IamHttpResponse>;

export type IamCredentials =
  /** A token obtained elsewhere; used as is, never refreshed. */
  | { token: string }
  /** An IAM user of the account (domain) `domainName`. */
  | { username: string; password: string; domainName: string };

export interface IamTokenSourceOptions {
  providerId: string;
  credentials: IamCredentials;
  /** Scope the token to this project id (preferred)... */
  projectId?: string;
  /** ...or else to the project named after the region (e.g. cn-north-4). */
  region?: string;
  /** Default: https://iam.{region}.myhuaweicloud.com when a region is given, else https://iam.myhuaweicloud.com. */
  iamEndpoint?: string;
  /** Refresh when less than this remains (default 1 h; at most half the token's lifetime). */
  refreshBeforeMs?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
  /** Needed for password authentication. */
  post?: IamPost;
}

const DEFAULT_REFRESH_BEFORE_MS = 60 * 60 * 1000;
/** Used when IAM gives no readable expires_at (documented lifetime: 24 h). */
const ASSUMED_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** A cached token is still handed out when a refresh fails transiently, if it has this much life left. */
const STALE_GRACE_MS = 60 * 1000;

interface CachedToken {
  token: string;
  expiresAtMs: number;
  refreshAtMs: number;
}

export function tokenHeaders(token: string): Record<string, string> {
  return { 'X-Auth-Token': token };
}

export class IamTokenSource {
  private readonly fixedToken: string | null;
  private readonly user: { username: string; password: string; domainName: string } | null;
  private readonly now: () => number;
  private readonly post: IamPost | null;
  private readonly refreshBeforeMs: number;
  private cached: CachedToken | null = null;
  private inflight: Promise<CachedToken> | null = null;

  constructor(private readonly options: IamTokenSourceOptions) {
    const creds = options.credentials;
    if ('token' in creds) {
      if (!creds.token) throw new Error('Huawei IAM: the fixed token is empty.');
      this.fixedToken = creds.token;
      this.user = null;
    } else {
      if (!creds.username || !creds.password || !creds.domainName) {
        throw new Error('Huawei IAM password authentication needs username, password and domainName.');
      }
      if (!options.projectId && !options.region) {
        throw new Error('Huawei IAM password authentication needs a projectId or a region to scope the token.');
      }
      if (!options.post) {
        throw new Error('Huawei IAM password authentication needs a post() to reach IAM (transportPost).');
      }
      this.fixedToken = null;
      this.user = creds;
    }
    this.now = options.now ?? Date.now;
    this.post = options.post ?? null;
    this.refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  }

  /** A valid token; fetched or refreshed when needed. Concurrent callers share one IAM request. */
  async getToken(): Promise<string> {
    if (this.fixedToken !== null) return this.fixedToken;
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAtMs) return cached.token;
    try {
      return (await this.refresh()).token;
    } catch (error) {
      // IAM briefly unavailable while the cached token still has life in it: keep using it.
      const transient =
        error instanceof FaceGraphError && error.detail.type === 'VendorUnavailableError' && error.detail.retryable;
      if (transient && cached && this.cached === cached && this.now() < cached.expiresAtMs - STALE_GRACE_MS) {
        return cached.token;
      }
      throw error;
    }
  }

  /**
   * Forget the cached token (call after the vendor answered 401 with it). With `token`, only when that is
   * still the cached one, so that several requests failing with the same stale token refresh it once.
   */
  invalidate(token?: string): void {
    if (token === undefined || this.cached?.token === token) this.cached = null;
  }

  /** When the cached token expires (null: none cached, or a fixed token). */
  get expiresAt(): Date | null {
    return this.cached ? new Date(this.cached.expiresAtMs) : null;
  }

  private refresh(): Promise<CachedToken> {
    if (!this.inflight) {
      this.inflight = this.fetchToken()
        .then((fresh) => {
          this.cached = fresh;
          return fresh;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  private async fetchToken(): Promise<CachedToken> {
    const options = this.options;
    const user = this.user!;
    const providerId = options.providerId;
    const endpoint = (
      options.iamEndpoint ??
      (options.region ? `https://iam.${options.region}.myhuaweicloud.com` : 'https://iam.myhuaweicloud.com')
    ).replace(/\/+$/, '');
    const url = `${endpoint}/v3/auth/tokens?nocatalog=true`;
    const requestBody = {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: user.username, password: user.password, domain: { name: user.domainName } },
          },
        },
        scope: { project: options.projectId ? { id: options.projectId } : { name: options.region } },
      },
    };

    const startedAt = this.now();
    let response: IamHttpResponse;
    try {
      response = await this.post!(
        url,
        { 'Content-Type': 'application/json;charset=UTF-8', Accept: 'application/json' },
        Buffer.from(JSON.stringify(requestBody), 'utf8'),
      );
    } catch (error) {
      const code = networkErrorCode(error);
      throw new FaceGraphError({
        type: 'VendorUnavailableError',
        message: `Huawei IAM could not be reached${code ? ` (${code})` : ''}.`,
        retryable: true,
        vendor: { providerId, code: code ?? null, httpStatus: null, requestId: null },
      });
    }

    const headers = lowerCaseKeys(response.headers);
    const body = parseJson(response.body);
    const requestId = headers['x-request-id'] ?? stringField(body, 'request_id') ?? null;
    const status = response.status;

    if (status < 200 || status >= 300) {
      const code = iamErrorCode(body);
      const iamMessage = redact(iamErrorMessage(body), [user.password]);
      const what = [`HTTP ${status}`, code, iamMessage].filter(Boolean).join(', ');
      const vendor = { providerId, code, httpStatus: status, requestId };
      if (status === 429 || status >= 500) {
        throw new FaceGraphError({
          type: 'VendorUnavailableError',
          message: `Huawei IAM is unavailable (${what}).`,
          retryable: true,
          vendor,
        });
      }
      // 401/403 wrong user, password or account, locked user...; 400/404 an unknown project or domain.
      throw new FaceGraphError({
        type: 'VendorAuthError',
        message: `Huawei IAM refused the credentials (${what}).`,
        vendor,
      });
    }

    const token = headers['x-subject-token'];
    if (!token) {
      throw new FaceGraphError({
        type: 'VendorUnavailableError',
        message: `Huawei IAM answered HTTP ${status} without an X-Subject-Token header.`,
        retryable: false,
        vendor: { providerId, code: null, httpStatus: status, requestId },
      });
    }
    const tokenBody = (body as { token?: { expires_at?: unknown; issued_at?: unknown } } | undefined)?.token;
    const expires = parseTime(tokenBody?.expires_at);
    const issued = parseTime(tokenBody?.issued_at);
    // The lifetime (expires_at - issued_at when both are given) counted on our clock from when we asked,
    // so that a skew between our clock and IAM's does not matter.
    const lifetime = Math.max(
      0,
      expires === null ? ASSUMED_LIFETIME_MS : issued === null ? expires - startedAt : expires - issued,
    );
    const refreshAtMs = startedAt + lifetime - Math.min(this.refreshBeforeMs, lifetime / 2);
    return { token, expiresAtMs: startedAt + lifetime, refreshAtMs };
  }
}

// --- helpers ---

function parseTime(value: unknown): number | null {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' || typeof field === 'number' ? String(field) : undefined;
}

/** IAM errors come as {"error":{"code":..,"message":..}} or {"error_code":..,"error_msg":..}. */
function iamErrorCode(body: unknown): string | null {
  return (
    stringField(body, 'error_code') ?? stringField((body as { error?: unknown } | undefined)?.error, 'code') ?? null
  );
}

function iamErrorMessage(body: unknown): string | null {
  const message =
    stringField(body, 'error_msg') ?? stringField((body as { error?: unknown } | undefined)?.error, 'message');
  return message ? message.slice(0, 200) : null;
}

function redact(text: string | null, secrets: string[]): string | null {
  if (text === null) return null;
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * Token requests through the shared transport (timeouts, retries, logs). A token request changes nothing at IAM
 * that a second one would duplicate harmfully, so it is retried like an idempotent call, timeouts included.
 */
export function transportPost(transport: HttpTransport): IamPost {
  return async (url, headers, body) => {
    const response = await transport.send({
      method: 'POST',
      url,
      headers,
      body,
      idempotent: true,
      operation: 'iam.getToken',
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

/** The network error's code (ECONNREFUSED...), on the error itself or on the transport failure's cause. */
function networkErrorCode(error: unknown): string | undefined {
  let e = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    e = cause;
  }
  return undefined;
}
