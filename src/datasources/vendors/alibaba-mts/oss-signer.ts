// Alibaba Cloud OSS signature V1 (HMAC-SHA1), for the bucket that stages base64 images for MTS.
//
// Header form:
//   StringToSign  = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
//   Authorization = "OSS " + AccessKeyId + ":" + base64(hmac-sha1(AccessKeySecret, StringToSign))
//   CanonicalizedOSSHeaders: every x-oss-* header, name lower-cased, value trimmed, "name:value\n", sorted by name.
//   CanonicalizedResource:   "/<bucket>/<key>" with the key as it is (UTF-8, not percent-encoded), then the
//                            sub-resources of the query, if any, sorted: "?acl", "?response-content-type=..."
//   Date: the Date header; when x-oss-date is sent, its value (what ali-oss does: it sends only x-oss-date).
//
// Query form (a presigned URL): the same StringToSign with the Date slot holding Expires (Unix seconds), sent as
//   ?OSSAccessKeyId=<id>&Expires=<seconds>&Signature=<urlencoded base64>
//
// tests/unit/alibaba-oss-signer.test.ts checks both against ali-oss@6 on generated object keys.

import { createHmac } from 'node:crypto';

export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
}

export type OssAddressing = 'virtual-hosted' | 'path';

export interface OssSignedRequest {
  method: string;
  bucket: string;
  /** The object key as stored (not percent-encoded); '' for a bucket-level request. */
  key: string;
  /** Every header of the request (any letter case); Content-MD5, Content-Type, Date and x-oss-* take part. */
  headers: Record<string, string>;
  /** Sub-resources from the query (`acl`, `response-content-type`...); null for a name without a value. */
  subresources?: Record<string, string | null>;
}

/** The V1 string to sign of a header-signed request. */
export function ossStringToSign(request: OssSignedRequest): string {
  const headers = lowerCaseKeys(request.headers);
  const date = headers['x-oss-date'] ?? headers['date'] ?? '';
  return stringToSign(
    request.method,
    headers['content-md5'] ?? '',
    headers['content-type'] ?? '',
    date,
    headers,
    request,
  );
}

/** `OSS <AccessKeyId>:<signature>` for the Authorization header. */
export function ossAuthorization(request: OssSignedRequest, credentials: OssCredentials): string {
  return `OSS ${credentials.accessKeyId}:${hmacSha1(credentials.accessKeySecret, ossStringToSign(request))}`;
}

/** The V1 string to sign of a presigned URL: the Date slot holds Expires. */
export function ossPresignStringToSign(
  request: Omit<OssSignedRequest, 'headers'> & { headers?: Record<string, string> },
  expires: number,
): string {
  const headers = lowerCaseKeys(request.headers ?? {});
  return stringToSign(
    request.method,
    headers['content-md5'] ?? '',
    headers['content-type'] ?? '',
    String(expires),
    headers,
    request,
  );
}

export interface PresignOptions {
  endpoint: string;
  addressing: OssAddressing;
  bucket: string;
  key: string;
  /** Unix time in seconds after which OSS refuses the URL. */
  expires: number;
  credentials: OssCredentials;
  method?: 'GET' | 'HEAD';
}

/** A URL that lets anyone holding it GET the object until `expires` (query-signed, V1). */
export function presignObjectUrl(options: PresignOptions): string {
  const method = options.method ?? 'GET';
  const signature = hmacSha1(
    options.credentials.accessKeySecret,
    ossPresignStringToSign({ method, bucket: options.bucket, key: options.key }, options.expires),
  );
  const url = ossObjectUrl(options.endpoint, options.addressing, options.bucket, options.key);
  const query = [
    `OSSAccessKeyId=${strictEncode(options.credentials.accessKeyId)}`,
    `Expires=${options.expires}`,
    `Signature=${strictEncode(signature)}`,
  ];
  return `${url.href}?${query.join('&')}`;
}

/**
 * The object's URL: `https://<bucket>.<endpoint host>/<key>` (virtual-hosted, the OSS default) or
 * `<endpoint>/<bucket>/<key>` (path, for an IP endpoint such as an emulator). Each key segment is
 * percent-encoded (RFC 3986), '/' kept.
 */
export function ossObjectUrl(endpoint: string, addressing: OssAddressing, bucket: string, key: string): URL {
  if (hasDotSegment(key))
    throw new Error('An OSS key with a "." or ".." segment cannot be sent: URL parsers remove such segments.');
  const base = new URL(endpoint);
  const path = base.pathname.replace(/\/+$/, '');
  if (addressing === 'virtual-hosted') {
    base.hostname = `${bucket}.${base.hostname}`;
    base.pathname = `${path}/${encodeKey(key)}`;
  } else {
    base.pathname = `${path}/${bucket}/${encodeKey(key)}`;
  }
  base.search = '';
  base.hash = '';
  return base;
}

/** `/<bucket>/<key>` plus the sorted sub-resources. */
export function canonicalizedResource(
  bucket: string,
  key: string,
  subresources: Record<string, string | null> = {},
): string {
  const resource = bucket ? `/${bucket}/${key}` : '/';
  const names = Object.keys(subresources).sort(compareCodeUnits);
  if (names.length === 0) return resource;
  const parts = names.map((name) => {
    const value = subresources[name];
    return value === null || value === '' ? name : `${name}=${value}`;
  });
  return `${resource}?${parts.join('&')}`;
}

/** RFC 7231 IMF-fixdate, e.g. "Tue, 20 Dec 2022 08:48:18 GMT" (the Date header). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/** Percent-encodes each segment of an object key (RFC 3986 unreserved kept), keeping '/'. */
export function encodeKey(key: string): string {
  return key.split('/').map(strictEncode).join('/');
}

/** True when a '/'-separated segment is '.' or '..' (which URLs normalise away, even percent-encoded). */
export function hasDotSegment(key: string): boolean {
  return key.split('/').some((segment) => segment === '.' || segment === '..');
}

function stringToSign(
  method: string,
  contentMd5: string,
  contentType: string,
  date: string,
  headers: Record<string, string>,
  request: { bucket: string; key: string; subresources?: Record<string, string | null> },
): string {
  const ossHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort(compareCodeUnits)
    .map((name) => `${name}:${headers[name].trim()}\n`)
    .join('');
  const resource = canonicalizedResource(request.bucket, request.key, request.subresources);
  return `${method.toUpperCase()}\n${contentMd5}\n${contentType}\n${date}\n${ossHeaders}${resource}`;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower in out) throw new Error(`Header '${lower}' is given twice (with different letter case).`);
    out[lower] = String(value);
  }
  return out;
}

function hmacSha1(secret: string, text: string): string {
  if (!secret) throw new Error('OSS signing needs an AccessKey secret.');
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
