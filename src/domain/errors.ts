import type { VendorKind } from './model';

// Expected failures travel as FaceGraphError carrying one of these details. The resolvers turn a
// detail into the union member of the same name (the `type` is the GraphQL __typename).

export type ResourceKind = 'PROVIDER' | 'LIBRARY' | 'PERSON' | 'FACE' | 'API_KEY';
export type ImageRejectReason =
  'NO_FACE' | 'MULTIPLE_FACES' | 'TOO_LARGE' | 'TOO_SMALL' | 'UNSUPPORTED_FORMAT' | 'UNREACHABLE' | 'BLOCKED_ADDRESS';

export interface VendorErrorDetail {
  providerId: string;
  code?: string | null;
  httpStatus?: number | null;
  requestId?: string | null;
}

export type ErrorDetail =
  | { type: 'InvalidInputError'; message: string; field?: string; constraint?: string }
  | { type: 'NotFoundError'; message: string; resource: ResourceKind; id: string }
  | { type: 'AlreadyExistsError'; message: string; resource: ResourceKind; id: string }
  | { type: 'ImageRejectedError'; message: string; reason: ImageRejectReason; vendor?: VendorErrorDetail }
  | { type: 'UnsupportedOperationError'; message: string; providerKind: VendorKind; operation: string }
  | { type: 'RateLimitedError'; message: string; retryAfterSeconds?: number; vendor?: VendorErrorDetail }
  | { type: 'QuotaExceededError'; message: string; vendor?: VendorErrorDetail }
  | { type: 'ConflictError'; message: string; reason: string; vendor?: VendorErrorDetail }
  | { type: 'VendorAuthError'; message: string; vendor: VendorErrorDetail }
  | { type: 'VendorUnavailableError'; message: string; retryable: boolean; vendor: VendorErrorDetail };

export type ErrorType = ErrorDetail['type'];

export const ERROR_CODES: Record<ErrorType, string> = {
  InvalidInputError: 'INVALID_INPUT',
  NotFoundError: 'NOT_FOUND',
  AlreadyExistsError: 'ALREADY_EXISTS',
  ImageRejectedError: 'IMAGE_REJECTED',
  UnsupportedOperationError: 'UNSUPPORTED_OPERATION',
  RateLimitedError: 'RATE_LIMITED',
  QuotaExceededError: 'QUOTA_EXCEEDED',
  ConflictError: 'CONFLICT',
  VendorAuthError: 'VENDOR_AUTH',
  VendorUnavailableError: 'VENDOR_UNAVAILABLE',
};

export class FaceGraphError extends Error {
  constructor(readonly detail: ErrorDetail) {
    super(detail.message);
    this.name = detail.type;
  }
}

export function isFaceGraphError(e: unknown): e is FaceGraphError {
  return e instanceof FaceGraphError;
}

// Constructors for the common cases, so messages read the same everywhere.

export const invalidInput = (field: string, message: string, constraint?: string) =>
  new FaceGraphError({ type: 'InvalidInputError', message, field, constraint });

export const notFound = (resource: ResourceKind, id: string) =>
  new FaceGraphError({
    type: 'NotFoundError',
    message: `${titleCase(resource)} '${id}' does not exist.`,
    resource,
    id,
  });

export const alreadyExists = (resource: ResourceKind, id: string, message?: string) =>
  new FaceGraphError({
    type: 'AlreadyExistsError',
    message: message ?? `${titleCase(resource)} '${id}' already exists.`,
    resource,
    id,
  });

export const imageRejected = (reason: ImageRejectReason, message: string, vendor?: VendorErrorDetail) =>
  new FaceGraphError({ type: 'ImageRejectedError', message, reason, vendor });

export const unsupported = (providerKind: VendorKind, operation: string, message?: string) =>
  new FaceGraphError({
    type: 'UnsupportedOperationError',
    message: message ?? `${operation} is not supported by ${providerKind} providers.`,
    providerKind,
    operation,
  });

function titleCase(resource: ResourceKind): string {
  if (resource === 'API_KEY') return 'API key';
  return resource.charAt(0) + resource.slice(1).toLowerCase();
}
