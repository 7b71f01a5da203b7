/**
 * Server-side verification of Alibaba Cloud POP signatures (notes §7.5), written independently of the
 * project's client signer: parameters and headers are taken from the request *as received*, percent-
 * decoded, then re-encoded with the strict RFC 3986 encoder before the HMAC is recomputed (the SDK's wire
 * encoding — Node querystring — leaves ( ) * ! ' bare, its signature does not).
 *
 * - V3 `ACS3-HMAC-SHA256` when the Authorization header starts with "ACS3-"; else
 * - V1 `HMAC-SHA1` when a `Signature` parameter is present (query or form body); else no signature.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Errors, MtsError } from './errors';

export type SignatureVersion = 'V1' | 'V3' | 'none';

export type AuthFailure =
  | 'no-signature'
  | 'missing-parameter'
  | 'malformed-authorization'
  | 'unsupported-method'
  | 'header-not-signed'
  | 'bad-timestamp'
  | 'stale-timestamp'
  | 'unknown-ak'
  | 'payload-hash'
  | 'signature-mismatch'
  | 'nonce-reused';

export interface ReceivedRequest {
  method: string;
  /** raw path (without the query) */
  rawPath: string;
  /** raw query string (without '?') */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** decoded query + form-body parameters (body wins on conflict, as the SDK signs `{...query, ...body}`) */
  params: Record<string, string>;
}

export type AuthResult =
  | { ok: true; version: SignatureVersion; accessKeyId: string }
  | {
      ok: false;
      version: SignatureVersion;
      reason: AuthFailure;
      error: MtsError;
      accessKeyId?: string;
      stringToSign?: string;
      canonicalRequest?: string;
    };

export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const V3_PATTERN =
  /^ACS3-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const V3_REQUIRED_SIGNED = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
];

// ------------------------------------------------------------------------------------------------
// encoding

const HEX = '0123456789ABCDEF';

/** RFC 3986: unreserved `A-Z a-z 0-9 - _ . ~` kept, every other UTF-8 byte as upper-case `%XX`. */
export function rfc3986(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    const unreserved =
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2d ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Percent-decoding to UTF-8 text; a '%' without two hex digits stays literal. */
export function percentDecode(text: string): string {
  const bytes: number[] = [];
  const literal = Buffer.from(text, 'utf8');
  for (let i = 0; i < literal.length; i++) {
    const b = literal[i] as number;
    if (b === 0x25 && i + 2 < literal.length) {
      const hi = hexValue(literal[i + 1] as number);
      const lo = hexValue(literal[i + 2] as number);
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * `a=1&b=2` → decoded pairs. '+' is read as a space (form semantics; what the real gateway does with a
 * bare '+' in a query is UNVERIFIED — the SDK never sends one: it encodes '+' as %2B and ' ' as %20).
 */
export function parsePairs(raw: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([percentDecode(key.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
  }
  return out;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

// ------------------------------------------------------------------------------------------------
// canonical forms

/** V1: `METHOD&%2F&enc(sorted enc(k)=enc(v) joined by &)` over every parameter but Signature. */
export function v1StringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort(byCodeUnits)
    .map((k) => `${rfc3986(k)}=${rfc3986(params[k] as string)}`)
    .join('&');
  return `${method.toUpperCase()}&${rfc3986('/')}&${rfc3986(canonical)}`;
}

/** V3 canonical query: the decoded query pairs sorted by name then value, strictly re-encoded. */
export function v3CanonicalQuery(rawQuery: string): string {
  return parsePairs(rawQuery)
    .sort(([a, av], [b, bv]) => byCodeUnits(a, b) || byCodeUnits(av, bv))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
}

export function v3CanonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return rawPath
    .split('/')
    .map((segment) => rfc3986(percentDecode(segment)))
    .join('/');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

// ------------------------------------------------------------------------------------------------

export interface VerifierOptions {
  /** maximum |emulator clock − Timestamp / x-acs-date| (default 15 min, the POP common error text) */
  maxSkewMs: number;
  /** how long a used nonce is remembered per AccessKey (default 2 × maxSkewMs) */
  nonceTtlMs: number;
  now: () => number;
}

export class RpcVerifier {
  /** `${accessKeyId}\n${nonce}` → time it was first used */
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly secrets: Map<string, string>,
    private readonly options: VerifierOptions,
  ) {}

  static versionOf(headers: IncomingHttpHeaders, params: Record<string, string>): SignatureVersion {
    const auth = headerValue(headers, 'authorization');
    if (auth !== undefined && /^ACS3-/i.test(auth.trim())) return 'V3';
    if (params['Signature'] !== undefined) return 'V1';
    return 'none';
  }

  verify(req: ReceivedRequest): AuthResult {
    const version = RpcVerifier.versionOf(req.headers, req.params);
    if (version === 'V3') return this.verifyV3(req);
    if (version === 'V1') return this.verifyV1(req);
    return { ok: false, version, reason: 'no-signature', error: Errors.missing('Signature') };
  }

  forgetNonces(): void {
    this.nonces.clear();
  }

  private checkTime(value: string, version: SignatureVersion): AuthResult | undefined {
    const ms = TIMESTAMP_PATTERN.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) return { ok: false, version, reason: 'bad-timestamp', error: Errors.timestampFormat() };
    if (Math.abs(this.options.now() - ms) > this.options.maxSkewMs)
      return { ok: false, version, reason: 'stale-timestamp', error: Errors.timestampExpired() };
    return undefined;
  }

  /** Records the nonce; false when it was already used by this AccessKey within the TTL. */
  private useNonce(accessKeyId: string, nonce: string): boolean {
    const now = this.options.now();
    for (const [key, at] of this.nonces) if (now - at > this.options.nonceTtlMs) this.nonces.delete(key);
    const key = `${accessKeyId}\n${nonce}`;
    if (this.nonces.has(key)) return false;
    this.nonces.set(key, now);
    return true;
  }

  private verifyV1(req: ReceivedRequest): AuthResult {
    const version: SignatureVersion = 'V1';
    const p = req.params;
    for (const name of ['AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp']) {
      if (!p[name])
        return {
          ok: false,
          version,
          reason: 'missing-parameter',
          error: Errors.missing(name),
          accessKeyId: p['AccessKeyId'],
        };
    }
    const accessKeyId = p['AccessKeyId'] as string;
    if (p['SignatureMethod'] !== 'HMAC-SHA1') {
      return {
        ok: false,
        version,
        reason: 'unsupported-method',
        error: Errors.signatureMethod(p['SignatureMethod'] as string),
        accessKeyId,
      };
    }
    if (p['SignatureVersion'] !== '1.0') {
      return {
        ok: false,
        version,
        reason: 'unsupported-method',
        error: Errors.incompleteSignature('SignatureVersion must be 1.0.'),
        accessKeyId,
      };
    }
    const timeError = this.checkTime(p['Timestamp'] as string, version);
    if (timeError) return { ...timeError, accessKeyId } as AuthResult;
    const secret = this.secrets.get(accessKeyId);
    if (secret === undefined)
      return { ok: false, version, reason: 'unknown-ak', error: Errors.accessKeyNotFound(), accessKeyId };
    const stringToSign = v1StringToSign(req.method, p);
    const expected = createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
    if (!safeEqual(expected, p['Signature'] as string)) {
      return {
        ok: false,
        version,
        reason: 'signature-mismatch',
        error: Errors.signatureMismatch(stringToSign),
        accessKeyId,
        stringToSign,
      };
    }
    if (!this.useNonce(accessKeyId, p['SignatureNonce'] as string))
      return { ok: false, version, reason: 'nonce-reused', error: Errors.nonceUsed(), accessKeyId };
    return { ok: true, version, accessKeyId };
  }

  private verifyV3(req: ReceivedRequest): AuthResult {
    const version: SignatureVersion = 'V3';
    const authorization = (headerValue(req.headers, 'authorization') ?? '').trim();
    if (!/^ACS3-HMAC-SHA256\s/.test(authorization)) {
      return {
        ok: false,
        version,
        reason: 'unsupported-method',
        error: Errors.signatureMethod(authorization.split(/\s/)[0] ?? ''),
      };
    }
    const m = V3_PATTERN.exec(authorization);
    if (!m)
      return {
        ok: false,
        version,
        reason: 'malformed-authorization',
        error: Errors.incompleteSignature('The Authorization header is malformed.'),
      };
    const [, accessKeyId, signedList, signature] = m as unknown as [string, string, string, string];
    const signed = signedList.split(';').map((h) => h.trim().toLowerCase());
    const required = [...V3_REQUIRED_SIGNED];
    if (req.body.length > 0 && headerValue(req.headers, 'content-type') !== undefined) required.push('content-type');
    for (const name of required) {
      if (headerValue(req.headers, name) === undefined) {
        return {
          ok: false,
          version,
          reason: 'missing-parameter',
          error: Errors.incompleteSignature(`The header ${name} is required.`),
          accessKeyId,
        };
      }
      if (!signed.includes(name)) {
        return {
          ok: false,
          version,
          reason: 'header-not-signed',
          error: Errors.incompleteSignature(`The header ${name} must be signed.`),
          accessKeyId,
        };
      }
    }
    const timeError = this.checkTime((headerValue(req.headers, 'x-acs-date') as string).trim(), version);
    if (timeError) return { ...timeError, accessKeyId } as AuthResult;
    const secret = this.secrets.get(accessKeyId);
    if (secret === undefined)
      return { ok: false, version, reason: 'unknown-ak', error: Errors.accessKeyNotFound(), accessKeyId };

    const payloadHash = sha256Hex(req.body);
    const claimed = (headerValue(req.headers, 'x-acs-content-sha256') as string).trim();
    if (claimed.toLowerCase() !== payloadHash) {
      return {
        ok: false,
        version,
        reason: 'payload-hash',
        error: new MtsError(
          400,
          'SignatureDoesNotMatch',
          'Specified signature is not matched with our calculation. ' +
            'x-acs-content-sha256 does not match the request body.',
        ),
        accessKeyId,
      };
    }
    const canonicalHeaders = signed
      .map((name) => `${name}:${(headerValue(req.headers, name) ?? '').trim()}\n`)
      .join('');
    const canonicalRequest = [
      req.method.toUpperCase(),
      v3CanonicalUri(req.rawPath),
      v3CanonicalQuery(req.rawQuery),
      canonicalHeaders,
      signed.join(';'),
      claimed,
    ].join('\n');
    const stringToSign = `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
    const expected = createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
    if (!safeEqual(expected, signature.toLowerCase())) {
      return {
        ok: false,
        version,
        reason: 'signature-mismatch',
        error: Errors.signatureMismatch(stringToSign),
        accessKeyId,
        stringToSign,
        canonicalRequest,
      };
    }
    const nonce = (headerValue(req.headers, 'x-acs-signature-nonce') as string).trim();
    if (!this.useNonce(accessKeyId, nonce))
      return { ok: false, version, reason: 'nonce-reused', error: Errors.nonceUsed(), accessKeyId };
    return { ok: true, version, accessKeyId };
  }
}
