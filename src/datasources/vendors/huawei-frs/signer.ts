// Huawei Cloud API Gateway "SDK-HMAC-SHA256" AK/SK request signing (the scheme of the v3 SDKs).
//
//   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
//   Signature        = hex(hmac-sha256(key = SK as UTF-8, StringToSign))       (no key derivation)
//   Authorization    = "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>"
//
// The signed header set is the one the official Node SDK (@huaweicloud/huaweicloud-sdk-core) signs for the
// same request: every header the request carries (content-type, Enterprise-Project-Id, ...) plus host,
// x-sdk-date, x-project-id (when a project id is configured), x-security-token (temporary AK/SK) and
// x-sdk-content-sha256 (non-JSON bodies); a multipart content-type is left out. tests/unit/huawei-frs-signer.test.ts
// compares this module with the SDK's signer on generated requests.
//
// The URL given here is the one that goes on the wire (a WHATWG URL, already percent-encoded). Path and
// query are canonicalised the way the gateway sees them: percent-decoded, then re-encoded with only the
// RFC 3986 unreserved set left bare (what the Python SDK and the legacy APIG signers do, and what the
// Node SDK produces for every character it does not pre-escape itself).

import { createHash, createHmac } from 'node:crypto';
import type { SignableRequest } from '../../http/transport';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface AkSkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Only for temporary AK/SK: sent (and signed) as X-Security-Token. */
  securityToken?: string;
}

export interface SignOptions {
  /** Sent and signed as X-Project-Id (what every Huawei SDK does when a project id is configured). */
  projectId?: string;
  /** The signing time; defaults to now. The gateway rejects more than 15 minutes of skew. */
  now?: Date;
}

export interface SignatureDetails {
  /** The headers to add to the request. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
}

// Headers that are never signed: the signature itself, and headers the HTTP stack or a proxy may set or
// rewrite after signing. (The Node SDK adds User-Agent only after signing.)
const NEVER_SIGNED = new Set([
  'authorization',
  'user-agent',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

/** The headers to add to `request` for AK/SK authentication. */
export function signRequest(
  request: SignableRequest,
  credentials: AkSkCredentials,
  options: SignOptions = {},
): Record<string, string> {
  return computeSignature(request, credentials, options).headers;
}

/** signRequest, plus the intermediate strings (for tests and for debugging a signature mismatch). */
export function computeSignature(
  request: SignableRequest,
  credentials: AkSkCredentials,
  options: SignOptions = {},
): SignatureDetails {
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new Error('Huawei AK/SK signing needs both an access key id and a secret access key.');
  }
  const sdkDate = formatSdkDate(options.now ?? new Date());
  const added: Record<string, string> = { 'X-Sdk-Date': sdkDate };
  if (options.projectId) added['X-Project-Id'] = options.projectId;
  if (credentials.securityToken) added['X-Security-Token'] = credentials.securityToken;
  // Headers this call sets: the request's own values (e.g. left from an earlier attempt) are replaced.
  const owned = new Set(Object.keys(added).map((name) => name.toLowerCase()));

  // lower-case name -> trimmed value, for every header to sign
  const toSign = new Map<string, string>();
  let contentType: string | undefined;
  let payloadHeader: string | undefined;
  for (const [name, rawValue] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (NEVER_SIGNED.has(lower) || owned.has(lower)) continue;
    const value = String(rawValue).trim();
    if (toSign.has(lower)) throw new Error(`Header '${lower}' is given twice (with different letter case).`);
    if (lower === 'content-type') {
      contentType = value;
      // The Node SDK leaves a multipart content-type (its boundary is only known when sending) unsigned.
      if (value.toLowerCase().includes('multipart/form-data')) continue;
    }
    if (lower === 'x-sdk-content-sha256') payloadHeader = value;
    toSign.set(lower, value);
  }
  if (!toSign.has('host')) toSign.set('host', request.url.host);

  // Like the Node SDK (ICredential.isJsonContentType): any content-type other than exactly
  // application/json (even "application/json; charset=utf-8") means the body is not hashed.
  if (payloadHeader === undefined && contentType !== undefined && contentType.toLowerCase() !== 'application/json') {
    payloadHeader = UNSIGNED_PAYLOAD;
    added['X-Sdk-Content-Sha256'] = UNSIGNED_PAYLOAD;
  }
  for (const [name, value] of Object.entries(added)) toSign.set(name.toLowerCase(), value);

  const names = [...toSign.keys()].sort(compareCodeUnits);
  const canonicalHeaders = names.map((name) => `${name}:${toSign.get(name)}\n`).join('');
  const signedHeaders = names.join(';');
  const payloadHash = payloadHeader ?? (request.body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(request.body));

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQueryString(request.url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', Buffer.from(credentials.secretAccessKey, 'utf8'))
    .update(stringToSign, 'utf8')
    .digest('hex');

  added.Authorization =
    `${SIGNING_ALGORITHM} Access=${credentials.accessKeyId}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: added, canonicalRequest, stringToSign, signedHeaders };
}

/** `YYYYMMDDTHHMMSSZ` in UTC, e.g. 20240102T030405Z. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * The path, percent-decoded, split on '/', each segment re-encoded, and '/' appended when missing:
 * `/v2/p/face-sets` -> `/v2/p/face-sets/`. (An encoded slash, %2F, counts as a separator, as in the
 * Python SDK's unquote-then-split.)
 */
export function canonicalUri(pathname: string): string {
  const bytes = percentDecode(pathname);
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2f) {
      segments.push(encodeBytes(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  const uri = segments.join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/**
 * `k=v` pairs from the raw query (`?a=1&b=2`, with or without the '?'), each side decoded ('+' as a space,
 * as URLSearchParams reads it) and re-encoded, sorted by key then value (UTF-16 code unit order of the
 * decoded text, as the Node SDK sorts), joined by '&'. A key without '=' has an empty value.
 */
export function canonicalQueryString(search: string): string {
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return '';
  const pairs: { key: Buffer; value: Buffer; keyText: string; valueText: string }[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = percentDecode((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, ' '));
    pairs.push({ key, value, keyText: sortText(key), valueText: sortText(value) });
  }
  pairs.sort((a, b) => compareCodeUnits(a.keyText, b.keyText) || compareCodeUnits(a.valueText, b.valueText));
  return pairs.map((p) => `${encodeBytes(p.key)}=${encodeBytes(p.value)}`).join('&');
}

// --- encoding helpers ---

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** RFC 3986: unreserved bytes as they are, every other byte as %XX (upper-case hex). */
function encodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Percent-decodes to bytes; a '%' not followed by two hex digits stays a literal '%'. Other text is UTF-8. */
function percentDecode(text: string): Buffer {
  const chunks: Buffer[] = [];
  let literalStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x25) continue;
    const hi = i + 2 < text.length ? hexValue(text.charCodeAt(i + 1)) : -1;
    const lo = hi >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
    if (lo < 0) continue;
    if (literalStart < i) chunks.push(Buffer.from(text.slice(literalStart, i), 'utf8'));
    chunks.push(Buffer.of(hi * 16 + lo));
    literalStart = i + 3;
    i += 2;
  }
  if (literalStart < text.length) chunks.push(Buffer.from(text.slice(literalStart), 'utf8'));
  return Buffer.concat(chunks);
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The decoded text to sort by: UTF-8 when the bytes are valid UTF-8, else one char per byte. */
function sortText(bytes: Buffer): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}
