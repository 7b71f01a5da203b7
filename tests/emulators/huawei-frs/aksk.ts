/**
 * Server-side verification of Huawei "SDK-HMAC-SHA256" AK/SK signatures (notes §7.2 / §7.3).
 *
 * Written independently of any client signer: the canonical request is rebuilt from the request *as
 * received* (raw path, raw query string, the headers named in the client's SignedHeaders list, raw
 * body bytes) and the HMAC is compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { splitUrl } from '../common/http';

export const AUTHORIZATION_PATTERN =
  /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface ReceivedRequest {
  method: string;
  /** `req.url` exactly as received: path plus optional `?query`. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type AkskFailure =
  | 'malformed-authorization'
  | 'date-not-signed'
  | 'bad-date'
  | 'date-skew'
  | 'unknown-ak'
  | 'ak-locked'
  | 'signature-mismatch';

export type AkskResult = { ok: true; accessKeyId: string } | { ok: false; reason: AkskFailure; accessKeyId?: string };

export interface LockoutPolicy {
  /** consecutive failures that lock the AK (the gateway documents 5). */
  maxFailures: number;
  /** how long the AK stays locked (the gateway documents 5 minutes). */
  lockMs: number;
}

/** RFC 3986 encoding: unreserved `A-Z a-z 0-9 - _ . ~` kept, every other UTF-8 byte as upper-case `%XX`. */
export function rfc3986Encode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    const unreserved =
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2d ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Percent-decoding only (`+` stays a literal plus; the real gateway's treatment is UNVERIFIED). */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Decoded query pairs in received order (keys without `=` get an empty value). */
export function parseQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (!rawQuery) return pairs;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([percentDecode(key), percentDecode(value)]);
  }
  return pairs;
}

export function canonicalUri(rawPath: string): string {
  const encoded = rawPath
    .split('/')
    .map((segment) => rfc3986Encode(percentDecode(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : encoded + '/';
}

export function canonicalQuery(rawQuery: string): string {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of parseQuery(rawQuery)) {
    const list = byKey.get(k);
    if (list) list.push(v);
    else byKey.set(k, [v]);
  }
  const keys = [...byKey.keys()].sort();
  const parts: string[] = [];
  for (const key of keys) {
    const values = (byKey.get(key) ?? []).slice().sort();
    for (const value of values) parts.push(`${rfc3986Encode(key)}=${rfc3986Encode(value)}`);
  }
  return parts.join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name];
  if (raw === undefined) return '';
  return (Array.isArray(raw) ? raw.join(',') : raw).trim();
}

export function buildCanonicalRequest(req: ReceivedRequest, signedHeaders: string[]): string {
  const { rawPath, rawQuery } = splitUrl(req.rawUrl);
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValue(req.headers, name)}\n`).join('');
  const declaredPayload = headerValue(req.headers, 'x-sdk-content-sha256');
  const payloadHash = declaredPayload !== '' ? declaredPayload : createHash('sha256').update(req.body).digest('hex');
  return [
    req.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonicalRequest: string): string {
  return `SDK-HMAC-SHA256\n${sdkDate}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or undefined when malformed. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return t;
}

export class AkskVerifier {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly secrets: Map<string, string>,
    private readonly options: { maxSkewMs: number; now: () => number; lockout: LockoutPolicy | false },
  ) {}

  verify(req: ReceivedRequest, authorization: string): AkskResult {
    const m = AUTHORIZATION_PATTERN.exec(authorization);
    if (!m) return { ok: false, reason: 'malformed-authorization' };
    const [, ak, signedList, signature] = m as unknown as [string, string, string, string];
    const secret = this.secrets.get(ak);
    if (secret === undefined) return { ok: false, reason: 'unknown-ak', accessKeyId: ak };
    if (this.isLocked(ak)) return { ok: false, reason: 'ak-locked', accessKeyId: ak };

    const signedHeaders = signedList.split(';').map((h) => h.trim().toLowerCase());
    const failure = this.check(req, signedHeaders, secret, signature);
    if (failure) {
      this.recordFailure(ak);
      return { ok: false, reason: failure, accessKeyId: ak };
    }
    this.failures.delete(ak);
    return { ok: true, accessKeyId: ak };
  }

  private check(
    req: ReceivedRequest,
    signedHeaders: string[],
    secret: string,
    signature: string,
  ): AkskFailure | undefined {
    if (!signedHeaders.includes('x-sdk-date')) return 'date-not-signed';
    const sdkDate = headerValue(req.headers, 'x-sdk-date');
    const when = parseSdkDate(sdkDate);
    if (when === undefined) return 'bad-date';
    if (Math.abs(this.options.now() - when) > this.options.maxSkewMs) return 'date-skew';
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(stringToSign(sdkDate, buildCanonicalRequest(req, signedHeaders)))
      .digest();
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature-mismatch';
    return undefined;
  }

  private isLocked(ak: string): boolean {
    const entry = this.failures.get(ak);
    return entry !== undefined && entry.lockedUntil > this.options.now();
  }

  private recordFailure(ak: string): void {
    const policy = this.options.lockout;
    if (!policy) return;
    const entry = this.failures.get(ak) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    if (entry.count >= policy.maxFailures) {
      entry.lockedUntil = this.options.now() + policy.lockMs;
      entry.count = 0;
    }
    this.failures.set(ak, entry);
  }

  /** Forget failure counters and locks (test helper). */
  resetLockouts(): void {
    this.failures.clear();
  }
}
