import { FaceGraphError, type VendorErrorDetail } from '../../../domain/errors';
import type { HttpResponse } from '../../http/transport';

// OSS answers errors as XML: <Error><Code/><Message/><RequestId/><HostId/>...</Error>, and every answer carries
// x-oss-request-id. Only Code, Message and RequestId are read: a SignatureDoesNotMatch body also quotes the
// StringToSign and the signature sent, which must never reach a client or a log.

export interface OssErrorBody {
  code: string | null;
  message: string | null;
  requestId: string | null;
}

const AUTH_CODES = [
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'RequestTimeTooSkewed',
  'InvalidSecurityToken',
  'SecurityTokenExpired',
];

export function readOssError(response: HttpResponse): OssErrorBody {
  const text = response.body.toString('utf8');
  const field = (name: string) => {
    const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
    return match ? unescapeXml(match[1]).trim() : null;
  };
  return {
    code: field('Code'),
    message: field('Message'),
    requestId: field('RequestId') ?? response.headers['x-oss-request-id'] ?? null,
  };
}

/** The error for a refused staging call (`operation` says what was tried, e.g. "store the image"). */
export function ossError(response: HttpResponse, providerId: string, operation: string): FaceGraphError {
  const status = response.status;
  const body = readOssError(response);
  const code = body.code ?? `HTTP${status}`;
  const message = (body.message ?? `HTTP ${status}`).replace(/https?:\/\/\S+/g, '<url>').slice(0, 300);
  const vendor: VendorErrorDetail = { providerId, code, httpStatus: status, requestId: body.requestId };
  const what = `The image staging bucket (Alibaba OSS) of provider ${providerId}`;
  if (AUTH_CODES.includes(code) || status === 401 || status === 403) {
    return new FaceGraphError({
      type: 'VendorAuthError',
      message: `${what} refused the staging credentials when asked to ${operation}: ${message}`,
      vendor,
    });
  }
  if (code === 'NoSuchBucket') {
    return new FaceGraphError({
      type: 'VendorUnavailableError',
      message: `${what} does not exist: check imageStaging.bucket and imageStaging.endpoint in the configuration.`,
      retryable: false,
      vendor,
    });
  }
  if (status === 429) {
    return new FaceGraphError({
      type: 'RateLimitedError',
      message: `${what} is rate limiting requests: ${message}`,
      vendor,
    });
  }
  return new FaceGraphError({
    type: 'VendorUnavailableError',
    message: `${what} could not ${operation}: ${message}`,
    retryable: status >= 500,
    vendor,
  });
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
