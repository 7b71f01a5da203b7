import { createHash } from 'node:crypto';
import type { ReceivedRegistration } from './face-requests';

/**
 * The digest idempotency keys are recorded with: the same key with a different request is refused, so everything
 * that changes the registration is in it, in a canonical order.
 */
export function hashRequest(req: ReceivedRegistration): string {
  const canonical = JSON.stringify([
    req.libraryId,
    req.personId ?? null,
    // Keys recorded before uploads existed keep their hash: an upload takes the base64 slot, marked as one.
    req.image.base64
      ? createHash('sha256').update(req.image.base64).digest('hex')
      : req.image.bytes
        ? `upload:${createHash('sha256').update(req.image.bytes).digest('hex')}`
        : null,
    req.image.url ?? null,
    req.externalImageId ?? null,
    sortKeys(req.fields ?? null),
    req.userData ?? null,
    req.faceSelection ?? 'REJECT_MULTIPLE',
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
}
