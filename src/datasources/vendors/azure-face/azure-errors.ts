import { FaceGraphError, type ErrorDetail, type ResourceKind, type VendorErrorDetail } from '../../../domain/errors';

// The one table from Azure AI Face error codes to our error types (docs/vendors/azure-face.md §9).
// Azure's gateway has answered in several shapes over the years; normaliseAzureError reads them all.

export interface AzureErrorBody {
  error?: { code?: string; message?: string; statusCode?: number; innererror?: { code?: string; message?: string } };
  statusCode?: number;
  message?: string;
}

export interface NormalisedAzureError {
  code: string;
  message: string;
}

export function normaliseAzureError(status: number, body: AzureErrorBody | undefined): NormalisedAzureError {
  const inner = body?.error?.innererror;
  const code = inner?.code ?? body?.error?.code ?? String(body?.error?.statusCode ?? body?.statusCode ?? status);
  const message = inner?.message ?? body?.error?.message ?? body?.message ?? `HTTP ${status}`;
  return { code, message: message.slice(0, 400) };
}

/**
 * The wait an Azure 429 asks for: Retry-After when present, else "Try again in 26 seconds" / "retry after 1 second"
 * in the message.
 */
export function retryHintSeconds(retryAfterMs: number | null, message: string): number | null {
  if (retryAfterMs !== null) return retryAfterMs / 1000;
  const m = /(?:try again in|retry after)\s+(\d+(?:\.\d+)?)\s+second/i.exec(message);
  return m ? Number(m[1]) : null;
}

export type AzureErrorContext = Partial<Record<ResourceKind, string>>;

type Mapper = (message: string, vendor: VendorErrorDetail, context: AzureErrorContext) => ErrorDetail;

const notFound =
  (resource: ResourceKind): Mapper =>
  (message, _vendor, context) => ({
    type: 'NotFoundError',
    message: `Azure Face: ${message}`,
    resource,
    id: context[resource] ?? '',
  });
const conflict =
  (reason: string): Mapper =>
  (message, vendor) => ({ type: 'ConflictError', message: `Azure Face: ${message}`, reason, vendor });

function imageError(message: string, vendor: VendorErrorDetail): ErrorDetail {
  const reason = /no face/i.test(message)
    ? 'NO_FACE'
    : /more than 1 face/i.test(message)
      ? 'MULTIPLE_FACES'
      : /too small/i.test(message)
        ? 'TOO_SMALL'
        : /too big|too large/i.test(message)
          ? 'TOO_LARGE'
          : 'UNSUPPORTED_FORMAT';
  return { type: 'ImageRejectedError', message: `Azure Face rejected the image: ${message}`, reason, vendor };
}

const TABLE: Record<string, Mapper> = {
  PersonGroupNotFound: notFound('LIBRARY'),
  LargePersonGroupNotFound: notFound('LIBRARY'),
  PersonNotFound: notFound('PERSON'),
  PersistedFaceNotFound: notFound('FACE'),
  PersonGroupExists: (message, _vendor, context) => ({
    type: 'AlreadyExistsError',
    message: `Azure Face: ${message}`,
    resource: 'LIBRARY',
    id: context.LIBRARY ?? '',
  }),
  LargePersonGroupExists: (message, _vendor, context) => ({
    type: 'AlreadyExistsError',
    message: `Azure Face: ${message}`,
    resource: 'LIBRARY',
    id: context.LIBRARY ?? '',
  }),
  PersonGroupTrainingNotFinished: conflict('TRAINING_IN_PROGRESS'),
  LargePersonGroupTrainingNotFinished: conflict('TRAINING_IN_PROGRESS'),
  PersonGroupNotTrained: conflict('NOT_TRAINED'),
  LargePersonGroupNotTrained: conflict('NOT_TRAINED'),
  ConcurrentOperationConflict: conflict('CONCURRENT_OPERATION'),
  QuotaExceeded: (message, vendor) => ({
    type: 'QuotaExceededError',
    message: `Azure Face quota reached: ${message}`,
    vendor,
  }),
  InvalidImage: imageError,
  InvalidImageSize: imageError,
  InvalidURL: (message, vendor) => ({
    type: 'ImageRejectedError',
    message: `Azure Face could not use the image URL: ${message}`,
    reason: 'UNREACHABLE',
    vendor,
  }),
  BadArgument: (message) => ({ type: 'InvalidInputError', message: `Azure Face rejected the request: ${message}` }),
  OperationTimeOut: (message, vendor) => ({
    type: 'VendorUnavailableError',
    message: `Azure Face timed out: ${message}`,
    retryable: true,
    vendor,
  }),
};

export function azureError(
  providerKind: 'AZURE_FACE',
  status: number,
  body: AzureErrorBody | undefined,
  requestId: string | null,
  providerId: string,
  retryAfterMs: number | null,
  operation: string,
  context: AzureErrorContext = {},
): FaceGraphError {
  const { code, message } = normaliseAzureError(status, body);
  const vendor: VendorErrorDetail = { providerId, code, httpStatus: status, requestId };
  if (status === 429) {
    return new FaceGraphError({
      type: 'RateLimitedError',
      message: `Azure Face is rate limiting this resource: ${message}`,
      retryAfterSeconds: retryHintSeconds(retryAfterMs, message) ?? undefined,
      vendor,
    });
  }
  if (code === 'UnsupportedFeature') {
    // Limited Access: identification needs Microsoft's approval for this resource.
    return new FaceGraphError({ type: 'UnsupportedOperationError', message, providerKind, operation });
  }
  if (status === 401)
    return new FaceGraphError({
      type: 'VendorAuthError',
      message: `Azure Face refused the subscription key: ${message}`,
      vendor,
    });
  if (status === 403 && /quota/i.test(message))
    return new FaceGraphError({ type: 'QuotaExceededError', message: `Azure Face quota reached: ${message}`, vendor });
  const mapped = TABLE[code];
  if (mapped) return new FaceGraphError(mapped(message, vendor, context));
  if (status === 403)
    return new FaceGraphError({
      type: 'VendorAuthError',
      message: `Azure Face refused the request: ${message}`,
      vendor,
    });
  return new FaceGraphError({
    type: 'VendorUnavailableError',
    message: `Azure Face could not serve the request: ${message}`,
    retryable: status >= 500,
    vendor,
  });
}
