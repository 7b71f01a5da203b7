// Alibaba Cloud POP (RPC style) request signing for MTS, API 2014-06-18 (notes alibaba-mts.md §5, §7).
//
// V3, ACS3-HMAC-SHA256 — what the current official SDK (@alicloud/mts20140618 4.x on openapi-core) sends by default:
//   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders
//                      \n hex(sha256(body))
//   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//   Signature        = hex(hmac-sha256(key = AccessKeySecret, StringToSign))
//   Authorization    = "ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b;c>,Signature=<hex>"
//   Signed headers: host, content-type and every x-acs-* header. The SDK puts every MTS parameter in the
//   QUERY string of a POST with an empty body (x-acs-content-sha256 = sha256("")), and adds
//   `x-acs-credentials-provider: static_ak` (signed, being x-acs-*) for AccessKey credentials (notes §5.3).
//
// V1, HMAC-SHA1 (SignatureVersion 1.0) — what the SDK sends with signatureAlgorithm 'v2', and older SDKs:
//   StringToSign = METHOD & %2F & enc(join("&", enc(name)=enc(value) for the parameters sorted by name))
//   Signature    = base64(hmac-sha1(key = AccessKeySecret + "&", StringToSign))
//   All parameters (common + business) go in the query (or a form body); `Signature` is added to them.
//
// enc() is RFC 3986 over UTF-8: A-Z a-z 0-9 - _ . ~ literal, every other byte %XX (upper-case hex): a space is
// %20 (never +), * is %2A, ~ stays. tests/unit/alibaba-mts-signer.test.ts checks both schemes against the published
// examples and against @alicloud/openapi-util (the SDK's own signing helpers) on generated requests.

import { createHash, createHmac, randomBytes } from 'node:crypto';

export const ALGORITHM_V3 = 'ACS3-HMAC-SHA256';
export const MTS_API_VERSION = '2014-06-18';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The value the official SDK sends (and signs) in `x-acs-credentials-provider` for AccessKey credentials. */
export const CREDENTIALS_PROVIDER_STATIC_AK = 'static_ak';

export interface MtsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS only: V3 sends (and signs) x-acs-accesskey-id + x-acs-security-token; V1 adds SecurityToken. */
  securityToken?: string;
}

export interface V3Request {
  /** MTS accepts GET and POST; the wider type lets the shared transport's SignableRequest through. */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The URL as sent: its query string carries the RPC parameters. */
  url: URL;
  /** Headers the request already carries; host, content-type and x-acs-* among them are signed. */
  headers: Record<string, string>;
  /** Exactly the bytes sent (empty for the SDK's query-only POST). */
  body: Buffer;
}

export interface V3Options {
  action: string;
  version: '2014-06-18';
  now?: Date;
  nonce?: string;
  /**
   * Value of `x-acs-credentials-provider` (default 'static_ak', as the current SDK sends for AccessKeys);
   * false = leave the header out (older SDKs, and Alibaba's published V3 example).
   */
  credentialsProvider?: string | false;
}

export interface V3Details {
  /** The headers to add to the request (host, x-acs-*, Authorization). */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
}

export interface V1Options {
  method: 'GET' | 'POST';
  now?: Date;
  nonce?: string;
  /** default '2014-06-18' (a `Version` in params wins, as in the SDK) */
  version?: string;
  /** default 'json', what the SDK sends (a `Format` in params wins) */
  format?: string;
}

// Headers that only this module sets: values for them in request.headers are replaced.
const OWNED_V3 = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
  'x-acs-credentials-provider',
  'x-acs-accesskey-id',
  'x-acs-security-token',
  'authorization',
];

/**
 * The headers the official SDK sends for an RPC call signed with ACS3-HMAC-SHA256: host, x-acs-action,
 * x-acs-version, x-acs-date, x-acs-signature-nonce, x-acs-content-sha256, x-acs-credentials-provider and
 * Authorization. Send them with the request's own headers (the SDK also sends `accept: application/json`,
 * unsigned). The RPC parameters belong in `request.url`'s query string (see `rpcQueryString`).
 */
export function signV3(request: V3Request, credentials: MtsCredentials, options: V3Options): Record<string, string> {
  return signV3Details(request, credentials, options).headers;
}

/** signV3 plus the intermediate strings (tests, debugging a SignatureDoesNotMatch). */
export function signV3Details(request: V3Request, credentials: MtsCredentials, options: V3Options): V3Details {
  if (!credentials.accessKeyId || !credentials.accessKeySecret) {
    throw new Error('Alibaba Cloud signing needs both an AccessKey ID and an AccessKey secret.');
  }
  if (!options.action) throw new Error('signV3: the action is required.');

  const given = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (given.has(lower)) throw new Error(`Header '${lower}' is given twice (with different letter case).`);
    given.set(lower, String(value));
  }

  const added: Record<string, string> = {
    host: given.get('host')?.trim() || request.url.host,
    'x-acs-action': options.action,
    'x-acs-version': options.version,
    'x-acs-date': formatAcsDate(options.now ?? new Date()),
    'x-acs-signature-nonce': options.nonce ?? randomBytes(16).toString('hex'),
    'x-acs-content-sha256': sha256Hex(request.body),
  };
  const provider = options.credentialsProvider ?? CREDENTIALS_PROVIDER_STATIC_AK;
  if (provider !== false) added['x-acs-credentials-provider'] = provider;
  if (credentials.securityToken) {
    added['x-acs-accesskey-id'] = credentials.accessKeyId;
    added['x-acs-security-token'] = credentials.securityToken;
  }

  // name -> trimmed value of every header to sign
  const toSign = new Map<string, string>();
  for (const [lower, value] of given) {
    if (OWNED_V3.includes(lower)) continue;
    if (lower === 'content-type' || lower.startsWith('x-acs-')) toSign.set(lower, value.trim());
  }
  for (const [name, value] of Object.entries(added)) toSign.set(name, value.trim());

  const names = [...toSign.keys()].sort(compareCodeUnits);
  const canonicalHeaders = names.map((n) => `${n}:${toSign.get(n)}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQueryV3(request.url.searchParams),
    canonicalHeaders,
    signedHeaders,
    added['x-acs-content-sha256'],
  ].join('\n');
  const stringToSign = `${ALGORITHM_V3}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', credentials.accessKeySecret).update(stringToSign, 'utf8').digest('hex');
  const headers: Record<string, string> = {
    ...added,
    Authorization:
      `${ALGORITHM_V3} Credential=${credentials.accessKeyId},` +
      `SignedHeaders=${signedHeaders},Signature=${signature}`,
  };
  return { headers, canonicalRequest, stringToSign, signedHeaders, signature };
}

/**
 * The complete V1 parameter set: the given parameters (Action and the business parameters) plus Format,
 * Version, AccessKeyId, SignatureMethod=HMAC-SHA1, Timestamp, SignatureVersion=1.0, SignatureNonce
 * (SecurityToken for STS) and Signature. Put them in the query (`rpcQueryString`) or a form body.
 */
export function signV1(
  params: Record<string, string>,
  credentials: MtsCredentials,
  options: V1Options,
): Record<string, string> {
  if (!credentials.accessKeyId || !credentials.accessKeySecret) {
    throw new Error('Alibaba Cloud signing needs both an AccessKey ID and an AccessKey secret.');
  }
  // Same precedence as the SDK's doRPCRequest: defaults, then the caller's parameters, then the auth fields.
  const all: Record<string, string> = {
    Format: options.format ?? 'json',
    Version: options.version ?? MTS_API_VERSION,
    Timestamp: formatAcsDate(options.now ?? new Date()),
    SignatureNonce: options.nonce ?? randomBytes(16).toString('hex'),
    ...params,
  };
  delete all['Signature'];
  if (credentials.securityToken) all['SecurityToken'] = credentials.securityToken;
  all['SignatureMethod'] = 'HMAC-SHA1';
  all['SignatureVersion'] = '1.0';
  all['AccessKeyId'] = credentials.accessKeyId;
  all['Signature'] = signatureV1(all, options.method, credentials.accessKeySecret);
  return all;
}

/** `METHOD&%2F&enc(CanonicalizedQueryString)` over every parameter except Signature. */
export function stringToSignV1(params: Record<string, string>, method: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort(compareCodeUnits)
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] ?? '')}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/** base64(HMAC-SHA1(secret + "&", stringToSignV1(params, method))). */
export function signatureV1(params: Record<string, string>, method: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSignV1(params, method), 'utf8').digest('base64');
}

/** `name=value&...` with strict RFC 3986 encoding, in the given order: a query string (or form body) to send. */
export function rpcQueryString(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

/**
 * V3 CanonicalQueryString: the decoded pairs sorted by name (then value), `enc(name)=enc(value)` joined by
 * '&'; "" when there is no query. (The Node SDK leaves names unencoded; for the ASCII parameter names of
 * the MTS API both are the same.)
 */
export function canonicalQueryV3(params: URLSearchParams | Iterable<[string, string]>): string {
  const pairs = [...params] as [string, string][];
  pairs.sort(([a, av], [b, bv]) => compareCodeUnits(a, b) || compareCodeUnits(av, bv));
  return pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
}

/** The path, each segment percent-decoded and re-encoded; "/" for RPC. */
export function canonicalUri(pathname: string): string {
  if (pathname === '') return '/';
  return pathname
    .split('/')
    .map((segment) => percentEncode(safeDecode(segment)))
    .join('/');
}

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC (x-acs-date and the V1 Timestamp). */
export function formatAcsDate(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

const HEX = '0123456789ABCDEF';

/** RFC 3986 percent-encoding of the UTF-8 bytes: A-Z a-z 0-9 - _ . ~ literal, everything else %XX. */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e;
    out += unreserved ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
