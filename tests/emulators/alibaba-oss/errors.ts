/**
 * OSS error answers: an HTTP status, `x-oss-request-id`, and an XML body
 * `<Error><Code/><Message/><RequestId/><HostId/>...extra fields...</Error>` (`application/xml`).
 * Codes and messages are OSS's own where known; `EC` is given where the OSS troubleshooting pages name it.
 */

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** further elements of the XML body, in order (e.g. BucketName, StringToSign) */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OssError';
  }
}

const e = (status: number, code: string, message: string, extra: Record<string, string> = {}): OssError =>
  new OssError(status, code, message, extra);

export const Errors = {
  noSuchBucket: (bucket: string) =>
    e(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string) => e(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }),
  invalidObjectName: () => e(400, 'InvalidObjectName', 'The specified object is not valid.'),
  methodNotAllowed: (method: string) =>
    e(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      Method: method,
      ResourceType: 'Bucket',
    }),
  invalidDigest: () => e(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.'),
  entityTooLarge: (max: number) =>
    e(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: String(max) }),
  // --- authentication
  anonymous: () => e(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.'),
  invalidAuthorization: () => e(400, 'InvalidArgument', 'Authorization header is invalid.'),
  missingDate: () => e(403, 'AccessDenied', 'OSS authentication requires a valid Date.'),
  timeTooSkewed: (requestTime: string, serverTime: string) =>
    e(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime,
      ServerTime: serverTime,
      MaxAllowedSkewMilliseconds: '900000',
    }),
  incompleteQuery: () =>
    e(
      403,
      'AccessDenied',
      'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters.',
    ),
  invalidExpires: () => e(403, 'AccessDenied', 'Invalid expiration time.', { EC: '0002-00000070' }),
  expired: (expires: string, serverTime: string) =>
    e(403, 'AccessDenied', 'Request has expired.', { Expires: expires, ServerTime: serverTime, EC: '0002-00000069' }),
  invalidAccessKeyId: (accessKeyId: string) =>
    e(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
      OSSAccessKeyId: accessKeyId,
    }),
  signatureMismatch: (stringToSign: string, provided: string, accessKeyId: string) =>
    e(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      {
        StringToSign: stringToSign,
        SignatureProvided: provided,
        OSSAccessKeyId: accessKeyId,
      },
    ),
  internal: () => e(500, 'InternalError', 'We encountered an internal error. Please try again.'),
};

/** Default code and message of an injected status fault. */
export function defaultFault(status: number): { code: string; message: string } {
  if (status === 429) return { code: 'TooManyRequests', message: 'Too many requests, please slow down.' };
  if (status === 503) return { code: 'ServiceUnavailable', message: 'Please reduce your request rate.' };
  if (status >= 500) return { code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
  if (status === 403) return { code: 'AccessDenied', message: 'AccessDenied' };
  if (status === 404) return { code: 'NoSuchKey', message: 'The specified key does not exist.' };
  return { code: 'InvalidArgument', message: 'injected fault' };
}

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function errorXml(error: OssError, requestId: string, hostId: string): string {
  const fields: [string, string][] = [
    ['Code', error.code],
    ['Message', error.message],
    ['RequestId', requestId],
    ['HostId', hostId],
    ...Object.entries(error.extra),
  ];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Error>\n${fields.map(([k, v]) => `  <${k}>${xmlEscape(v)}</${k}>`).join('\n')}\n</Error>\n`
  );
}
