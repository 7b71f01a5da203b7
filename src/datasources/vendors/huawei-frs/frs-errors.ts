import { FaceGraphError, type ErrorDetail, type ResourceKind, type VendorErrorDetail } from '../../../domain/errors';

// The one table from FRS (and API Gateway) error codes to our error types. Codes and statuses are
// from docs/vendors/huawei-frs.md §6; where the notes mark one UNVERIFIED the mapping says so.

export interface FrsErrorBody {
  error_code?: string;
  error_msg?: string;
  request_id?: string;
}

type Mapper = (message: string, vendor: VendorErrorDetail, context: FrsErrorContext) => ErrorDetail;

export interface FrsErrorContext {
  /** What the request was about, for NotFound ids. */
  library?: string;
  face?: string;
  retryAfterSeconds?: number | null;
}

const auth: Mapper = (message, vendor) => ({
  type: 'VendorAuthError',
  message: `Huawei FRS refused the credentials: ${message}`,
  vendor,
});
const invalid: Mapper = (message) => ({
  type: 'InvalidInputError',
  message: `Huawei FRS rejected the request: ${message}`,
});
const image =
  (reason: 'NO_FACE' | 'TOO_LARGE' | 'UNSUPPORTED_FORMAT' | 'UNREACHABLE'): Mapper =>
  (message, vendor) => ({
    type: 'ImageRejectedError',
    message: `Huawei FRS rejected the image: ${message}`,
    reason,
    vendor,
  });
const notFound =
  (resource: ResourceKind): Mapper =>
  (message, _vendor, context) => ({
    type: 'NotFoundError',
    message: `Huawei FRS: ${message}`,
    resource,
    id: (resource === 'LIBRARY' ? context.library : context.face) ?? '',
  });
const quota: Mapper = (message, vendor) => ({
  type: 'QuotaExceededError',
  message: `Huawei FRS quota reached: ${message}`,
  vendor,
});
const unavailable =
  (retryable: boolean): Mapper =>
  (message, vendor) => ({
    type: 'VendorUnavailableError',
    message: `Huawei FRS could not serve the request: ${message}`,
    retryable,
    vendor,
  });

export const FRS_ERRORS: Record<string, Mapper> = {
  'FRS.0002': auth, // token abnormal or expired (403)
  'APIGW.0301': auth, // signature or token refused by the API gateway (401)
  'APIG.0301': auth,
  'FRS.0019': auth, // service not subscribed
  'FRS.0020': unavailable(false), // API not subscribed, or wrong region endpoint
  'FRS.0028': auth, // project id does not match the token (status UNVERIFIED)
  'FRS.0202': auth, // service frozen (status UNVERIFIED)
  'FRS.0010': invalid,
  'FRS.0011': invalid,
  'FRS.0012': invalid,
  'FRS.0014': invalid,
  'FRS.0017': image('TOO_LARGE'),
  'FRS.0032': invalid,
  'FRS.0401': invalid,
  'FRS.0402': invalid,
  'FRS.0013': image('TOO_LARGE'), // image too large or too small
  'FRS.0015': image('UNSUPPORTED_FORMAT'),
  'FRS.0016': image('UNSUPPORTED_FORMAT'),
  'FRS.0021': image('UNREACHABLE'),
  'FRS.0022': image('UNREACHABLE'),
  'FRS.0304': image('NO_FACE'),
  'FRS.0404': image('NO_FACE'),
  'FRS.0301': (message, _vendor, context) => ({
    type: 'AlreadyExistsError',
    message: `Huawei FRS: ${message}`,
    resource: 'LIBRARY',
    id: context.library ?? '',
  }),
  'FRS.0302': notFound('LIBRARY'),
  'FRS.0303': notFound('FACE'), // seen only in a doc example (UNVERIFIED)
  'FRS.0403': notFound('FACE'),
  'FRS.0305': quota, // 10 face sets per account
  'FRS.0306': quota, // face set full
  'FRS.0018': unavailable(true),
  'APIG.0101': unavailable(false), // no such API: wrong endpoint or region
};

/** Maps an FRS error response to our error; unknown codes fall back on the HTTP status. */
export function frsError(
  status: number,
  body: FrsErrorBody | undefined,
  requestId: string | null,
  providerId: string,
  context: FrsErrorContext = {},
): FaceGraphError {
  const code = body?.error_code ?? null;
  const message = (body?.error_msg ?? `HTTP ${status}`).slice(0, 300);
  const vendor: VendorErrorDetail = {
    providerId,
    code,
    httpStatus: status,
    requestId: requestId ?? body?.request_id ?? null,
  };
  if (code === 'FRS.0033' || status === 429) {
    return new FaceGraphError({
      type: 'RateLimitedError',
      message: `Huawei FRS is rate limiting this account: ${message}`,
      retryAfterSeconds: context.retryAfterSeconds ?? undefined,
      vendor,
    });
  }
  const mapper =
    (code && FRS_ERRORS[code]) ||
    (status === 401 || status === 403 ? auth : status >= 500 ? unavailable(true) : unavailable(false));
  return new FaceGraphError(mapper(message, vendor, context));
}
