/**
 * Server-side verification of OSS signature V1, written apart from the gateway's client signer. What is
 * signed is rebuilt from the request as received: the decoded object key, the raw header values, and the
 * sub-resources of the decoded query.
 *
 *   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
 *
 * - Header form: `Authorization: OSS <AccessKeyId>:<base64 HMAC-SHA1>`. Date is `x-oss-date` when sent (what
 *   ali-oss sends, and signs in that slot), else the `Date` header; more than 15 minutes off → RequestTimeTooSkewed.
 * - Query form (presigned URL): `OSSAccessKeyId`, `Expires` (Unix seconds), `Signature`; the Date slot holds
 *   Expires; past Expires → AccessDenied "Request has expired.".
 * - No signature at all: the emulator's buckets are private → AccessDenied.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Errors, type OssError } from './errors';

export type AuthMode = 'header' | 'query' | 'anonymous';

export type AuthFailure =
  | 'anonymous'
  | 'malformed-authorization'
  | 'missing-date'
  | 'skewed'
  | 'incomplete-query'
  | 'invalid-expires'
  | 'expired'
  | 'unknown-ak'
  | 'signature-mismatch';

export type AuthResult =
  | { ok: true; mode: AuthMode; accessKeyId: string }
  | { ok: false; mode: AuthMode; reason: AuthFailure; error: OssError; accessKeyId?: string; stringToSign?: string };

export interface ReceivedRequest {
  method: string;
  bucket: string;
  /** decoded object key */
  key: string;
  headers: IncomingHttpHeaders;
  /** decoded query pairs in order; null value = a name without '=' */
  query: [string, string | null][];
}

/** Query parameters that are part of the resource that is signed (the OSS sub-resource list, the object part of it). */
export const SUBRESOURCES = new Set([
  'acl',
  'append',
  'position',
  'uploads',
  'uploadId',
  'partNumber',
  'symlink',
  'tagging',
  'objectMeta',
  'restore',
  'versionId',
  'versions',
  'security-token',
  'x-oss-process',
  'x-oss-traffic-limit',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
]);

const AUTHORIZATION = /^OSS ([^:\s]+):(\S+)$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

export class OssVerifier {
  constructor(
    private readonly secrets: ReadonlyMap<string, string>,
    private readonly now: () => number,
  ) {}

  verify(req: ReceivedRequest): AuthResult {
    const authorization = header(req.headers, 'authorization');
    if (authorization !== undefined) return this.verifyHeader(req, authorization);
    const names = new Set(req.query.map(([name]) => name));
    if (names.has('OSSAccessKeyId') || names.has('Expires') || names.has('Signature')) return this.verifyQuery(req);
    return { ok: false, mode: 'anonymous', reason: 'anonymous', error: Errors.anonymous() };
  }

  private verifyHeader(req: ReceivedRequest, authorization: string): AuthResult {
    const fail = (
      reason: AuthFailure,
      error: OssError,
      extra: { accessKeyId?: string; stringToSign?: string } = {},
    ): AuthResult => ({
      ok: false,
      mode: 'header',
      reason,
      error,
      ...extra,
    });
    const match = AUTHORIZATION.exec(authorization.trim());
    if (!match) return fail('malformed-authorization', Errors.invalidAuthorization());
    const [, accessKeyId, provided] = match as unknown as [string, string, string];
    const date = header(req.headers, 'x-oss-date') ?? header(req.headers, 'date');
    const at = date === undefined ? NaN : Date.parse(date);
    if (date === undefined || Number.isNaN(at)) return fail('missing-date', Errors.missingDate(), { accessKeyId });
    if (Math.abs(this.now() - at) > MAX_SKEW_MS) {
      return fail('skewed', Errors.timeTooSkewed(date, new Date(this.now()).toUTCString()), { accessKeyId });
    }
    const secret = this.secrets.get(accessKeyId);
    if (secret === undefined) return fail('unknown-ak', Errors.invalidAccessKeyId(accessKeyId), { accessKeyId });
    const stringToSign = buildStringToSign(req, date);
    if (!sameSignature(sign(secret, stringToSign), provided)) {
      return fail('signature-mismatch', Errors.signatureMismatch(stringToSign, provided, accessKeyId), {
        accessKeyId,
        stringToSign,
      });
    }
    return { ok: true, mode: 'header', accessKeyId };
  }

  private verifyQuery(req: ReceivedRequest): AuthResult {
    const value = (name: string) => req.query.find(([n]) => n === name)?.[1] ?? undefined;
    const accessKeyId = value('OSSAccessKeyId');
    const expires = value('Expires');
    const provided = value('Signature');
    const fail = (reason: AuthFailure, error: OssError, stringToSign?: string): AuthResult => ({
      ok: false,
      mode: 'query',
      reason,
      error,
      ...(accessKeyId ? { accessKeyId } : {}),
      ...(stringToSign ? { stringToSign } : {}),
    });
    if (!accessKeyId || !expires || !provided) return fail('incomplete-query', Errors.incompleteQuery());
    if (!/^\d{1,12}$/.test(expires)) return fail('invalid-expires', Errors.invalidExpires());
    if (this.now() / 1000 > Number(expires)) {
      return fail(
        'expired',
        Errors.expired(new Date(Number(expires) * 1000).toISOString(), new Date(this.now()).toISOString()),
      );
    }
    const secret = this.secrets.get(accessKeyId);
    if (secret === undefined) return fail('unknown-ak', Errors.invalidAccessKeyId(accessKeyId));
    const stringToSign = buildStringToSign(req, expires);
    if (!sameSignature(sign(secret, stringToSign), provided)) {
      return fail('signature-mismatch', Errors.signatureMismatch(stringToSign, provided, accessKeyId), stringToSign);
    }
    return { ok: true, mode: 'query', accessKeyId };
  }
}

/** The V1 string to sign of a received request, with `dateSlot` (a Date value or Expires). */
export function buildStringToSign(req: ReceivedRequest, dateSlot: string): string {
  const ossHeaders = Object.keys(req.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${(header(req.headers, name) ?? '').trim()}\n`)
    .join('');
  const subresources = req.query
    .filter(([name]) => SUBRESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === null || value === '' ? name : `${name}=${value}`));
  const resource = `/${req.bucket}/${req.key}${subresources.length ? `?${subresources.join('&')}` : ''}`;
  return (
    [req.method, header(req.headers, 'content-md5') ?? '', header(req.headers, 'content-type') ?? '', dateSlot].join(
      '\n',
    ) + `\n${ossHeaders}${resource}`
  );
}

function sign(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
}

function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(provided);
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Percent-decoding to UTF-8 ('+' stays '+': in a path and in OSS's query it is not a space). */
export function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `a=1&b&c=` → [['a','1'], ['b', null], ['c', '']], decoded. */
export function parseQuery(raw: string): [string, string | null][] {
  if (!raw) return [];
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0
        ? [percentDecode(part), null]
        : [percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1))];
    });
}
