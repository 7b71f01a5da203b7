import { FaceGraphError } from '../../domain/errors';
import { TransportError, type HttpResponse } from './transport';

// How a failure of the connection itself, or an unreadable answer, reaches the API, for every vendor.
// The vendor code AMBIGUOUS tells an adapter that a write may have been carried out.

export function transportFailure(e: unknown, providerId: string, vendorName: string): FaceGraphError {
  if (!(e instanceof TransportError)) throw e;
  if (e.failure === 'EXHAUSTED') {
    return new FaceGraphError({
      type: 'RateLimitedError',
      message: `Too many requests are waiting for this ${vendorName} provider; nothing was sent.`,
      retryAfterSeconds: e.retryAfterMs ? Math.ceil(e.retryAfterMs / 1000) : undefined,
      vendor: { providerId, code: 'LOCAL_RATE_LIMIT' },
    });
  }
  const ambiguous = e.failure === 'AMBIGUOUS';
  return new FaceGraphError({
    type: 'VendorUnavailableError',
    message: ambiguous
      ? `${vendorName} did not answer in time; the request may or may not have been carried out.`
      : `${vendorName} could not be reached; nothing was sent.`,
    retryable: true,
    vendor: { providerId, code: ambiguous ? 'AMBIGUOUS' : e.failure },
  });
}

/** A 2xx answer's JSON body; a body that is not JSON is a retryable failure (AMBIGUOUS for a write). */
export function successBody<T>(
  response: HttpResponse,
  idempotent: boolean,
  providerId: string,
  vendorName: string,
  requestId: string | null,
): T {
  const parsed = response.json<T>();
  if (parsed !== undefined || response.body.length === 0) return parsed ?? ({} as T);
  throw new FaceGraphError({
    type: 'VendorUnavailableError',
    message: `${vendorName} answered with a body that is not valid JSON.`,
    retryable: true,
    vendor: {
      providerId,
      code: idempotent ? 'MALFORMED_RESPONSE' : 'AMBIGUOUS',
      httpStatus: response.status,
      requestId,
    },
  });
}

export function isAmbiguous(e: unknown): boolean {
  return (
    e instanceof FaceGraphError && e.detail.type === 'VendorUnavailableError' && e.detail.vendor.code === 'AMBIGUOUS'
  );
}
