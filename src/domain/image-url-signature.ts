import { createHmac, timingSafeEqual } from 'node:crypto';

// The credential of a Face.imageUrl link: HMAC-SHA256 over everything the link decides (which face, how big, which
// crop, until when), so changing any of them, or the signature itself, makes the link refuse.

export type ImageCrop = 'NONE' | 'FACE';

export interface ImageUrlClaims {
  faceId: string;
  maxSide: number;
  crop: ImageCrop;
  /** Unix seconds after which the link is refused. */
  expires: number;
}

/** Prefixes the signed text, so a signature made for anything else with the same key never verifies here. */
const PURPOSE = 'facegraph face image v1';

export function signImageUrl(key: Buffer, claims: ImageUrlClaims): string {
  return createHmac('sha256', key).update(signedText(claims)).digest('base64url');
}

export type ImageUrlVerdict = 'valid' | 'bad-signature' | 'expired';

/** Checks the signature first (in constant time), then the expiry against `nowSeconds`. */
export function verifyImageUrl(
  key: Buffer,
  claims: ImageUrlClaims,
  signature: string,
  nowSeconds: number,
): ImageUrlVerdict {
  const expected = Buffer.from(signImageUrl(key, claims), 'base64url');
  const given = /^[A-Za-z0-9_-]{43}$/.test(signature) ? Buffer.from(signature, 'base64url') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  return nowSeconds > claims.expires ? 'expired' : 'valid';
}

/**
 * When a link made now expires: `ttlSeconds` from now, rounded up to a tenth of the ttl, so that the same face, size
 * and crop asked for again within that tenth get the very same URL and a browser reuses the copy it cached.
 */
export function imageUrlExpiry(nowSeconds: number, ttlSeconds: number): number {
  const step = Math.max(1, Math.floor(ttlSeconds / 10));
  return Math.ceil((nowSeconds + ttlSeconds) / step) * step;
}

/** One field per line: a face id, a number and an enum value never hold a newline, so no two claims share a text. */
function signedText(claims: ImageUrlClaims): string {
  return [PURPOSE, claims.faceId, String(claims.maxSide), claims.crop, String(claims.expires)].join('\n');
}
