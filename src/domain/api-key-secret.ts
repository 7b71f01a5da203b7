import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// API key secrets: shown once, stored only as their SHA-256. The prefix makes a leaked key easy to find in a
// secret scan (and tells this server a bearer token is a key, not a JWT).

export const API_KEY_PREFIX = 'fgk_';

/** 32 random bytes: guessing one is out of reach, so a plain SHA-256 (no salt, no KDF) is the right hash. */
export function newApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time (a length mismatch is not a secret: both are 64 characters). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Constant-time equality of two secrets of any length (compared through their digests). */
export function sameSecret(given: string, expected: string): boolean {
  return sameDigest(sha256Hex(given), sha256Hex(expected));
}
