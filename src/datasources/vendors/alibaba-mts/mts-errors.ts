import { FaceGraphError, type VendorErrorDetail } from '../../../domain/errors';

// The one table from MTS (Alibaba Cloud POP) error codes to our error types (docs/vendors/alibaba-mts.md §6).
// MTS documents only InvalidParameter and InternalError for the face actions; the face-specific cases are
// told apart by the message, which is the one place this adapter reads it.

export interface MtsErrorBody {
  RequestId?: string;
  HostId?: string;
  Code?: string;
  Message?: string;
  Recommend?: string;
}

const AUTH_CODES = [
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'Forbidden.RAM',
  'InvalidTimeStamp.Expired',
  'InvalidTimeStamp.Format',
  'InvalidIdentity.ServiceDisabled',
];

export function mtsError(
  status: number,
  body: MtsErrorBody | undefined,
  providerId: string,
  retryAfterSeconds: number | null,
): FaceGraphError {
  const code = body?.Code ?? `HTTP${status}`;
  // Messages of signature errors quote the server's string to sign: keep only the first sentence. A URL in a
  // message (a staged image's presigned URL carries a signature) is left out.
  const message = (body?.Message ?? `HTTP ${status}`)
    .split(' server string to sign')[0]
    .replace(/https?:\/\/\S+/g, '<url>')
    .slice(0, 300);
  const vendor: VendorErrorDetail = { providerId, code, httpStatus: status, requestId: body?.RequestId ?? null };
  if (code.startsWith('Throttling')) {
    return new FaceGraphError({
      type: 'RateLimitedError',
      message: `Alibaba MTS is rate limiting this account: ${message}`,
      retryAfterSeconds: retryAfterSeconds ?? undefined,
      vendor,
    });
  }
  if (AUTH_CODES.includes(code) || status === 401 || status === 403) {
    return new FaceGraphError({
      type: 'VendorAuthError',
      message: `Alibaba MTS refused the credentials: ${message}`,
      vendor,
    });
  }
  if (code === 'InvalidParameter') {
    if (/no face/i.test(message))
      return new FaceGraphError({
        type: 'ImageRejectedError',
        message: `Alibaba MTS found no face: ${message}`,
        reason: 'NO_FACE',
        vendor,
      });
    if (/more than one face|multiple faces/i.test(message)) {
      return new FaceGraphError({
        type: 'ImageRejectedError',
        message: `Alibaba MTS wants exactly one face: ${message}`,
        reason: 'MULTIPLE_FACES',
        vendor,
      });
    }
    if (/face count exceeds/i.test(message))
      return new FaceGraphError({ type: 'QuotaExceededError', message: `Alibaba MTS: ${message}`, vendor });
    if (/download|could not fetch|unreachable/i.test(message)) {
      return new FaceGraphError({
        type: 'ImageRejectedError',
        message: `Alibaba MTS could not fetch the image: ${message}`,
        reason: 'UNREACHABLE',
        vendor,
      });
    }
    return new FaceGraphError({ type: 'InvalidInputError', message: `Alibaba MTS rejected the request: ${message}` });
  }
  if (code.startsWith('Missing'))
    return new FaceGraphError({ type: 'InvalidInputError', message: `Alibaba MTS rejected the request: ${message}` });
  return new FaceGraphError({
    type: 'VendorUnavailableError',
    message: `Alibaba MTS could not serve the request: ${message}`,
    retryable: status >= 500,
    vendor,
  });
}
